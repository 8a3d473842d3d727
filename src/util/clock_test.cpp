#include "util/clock.hpp"

#include <gtest/gtest.h>

#include <chrono>

namespace llamachat::util {
namespace {

using namespace std::chrono;

// 2015-08-30T12:36:00Z, the date of the AWS SigV4 test suite.
const system_clock::time_point kSigV4Date = system_clock::time_point(seconds(1440938160));

TEST(Clock, FormatAmzDate) { EXPECT_EQ(format_amz_date(kSigV4Date), "20150830T123600Z"); }

TEST(Clock, FormatIso8601) { EXPECT_EQ(format_iso8601(kSigV4Date), "2015-08-30T12:36:00Z"); }

TEST(Clock, FormatsDropSubSecondsAndPadFields) {
  const auto t = sys_days{year{2024} / January / 2} + hours{3} + minutes{4} + seconds{5} + milliseconds{999};
  EXPECT_EQ(format_amz_date(time_point_cast<system_clock::duration>(t)), "20240102T030405Z");
  EXPECT_EQ(format_iso8601(time_point_cast<system_clock::duration>(t)), "2024-01-02T03:04:05Z");
}

TEST(Clock, FormatsEpoch) {
  EXPECT_EQ(format_iso8601(system_clock::time_point{}), "1970-01-01T00:00:00Z");
  EXPECT_EQ(format_amz_date(system_clock::time_point{}), "19700101T000000Z");
}

TEST(Clock, SystemClockIsNow) {
  const Clock clock = system_clock();
  const auto before = std::chrono::system_clock::now();
  const auto t = clock();
  const auto after = std::chrono::system_clock::now();
  EXPECT_LE(before, t);
  EXPECT_LE(t, after);
}

TEST(ParseIso8601, ValidUtc) {
  system_clock::time_point t;
  ASSERT_TRUE(parse_iso8601("2015-08-30T12:36:00Z", t));
  EXPECT_EQ(t, kSigV4Date);
}

TEST(ParseIso8601, RoundTripsFormat) {
  system_clock::time_point t;
  ASSERT_TRUE(parse_iso8601(format_iso8601(kSigV4Date), t));
  EXPECT_EQ(t, kSigV4Date);
}

TEST(ParseIso8601, FractionIsIgnored) {
  system_clock::time_point t;
  ASSERT_TRUE(parse_iso8601("2015-08-30T12:36:00.123Z", t));
  EXPECT_EQ(t, kSigV4Date);
  ASSERT_TRUE(parse_iso8601("2015-08-30T12:36:00.123456789Z", t));
  EXPECT_EQ(t, kSigV4Date);
}

TEST(ParseIso8601, ZeroOffsetForms) {
  for (const char* text : {"2015-08-30T12:36:00+00:00", "2015-08-30T12:36:00+0000", "2015-08-30T12:36:00z",
                           "2015-08-30t12:36:00Z", "2015-08-30 12:36:00Z", "2015-08-30T12:36:00.5+00:00"}) {
    system_clock::time_point t;
    ASSERT_TRUE(parse_iso8601(text, t)) << text;
    EXPECT_EQ(t, kSigV4Date) << text;
  }
}

TEST(ParseIso8601, ExpirationFromCredentialResponses) {
  // The shape IMDS and the container endpoint use for "Expiration".
  system_clock::time_point t;
  ASSERT_TRUE(parse_iso8601("2026-11-26T11:08:59Z", t));
  EXPECT_EQ(t, sys_days{year{2026} / November / 26} + hours{11} + minutes{8} + seconds{59});
}

TEST(ParseIso8601, RejectsInvalidInputAndLeavesOutputAlone) {
  const system_clock::time_point sentinel = system_clock::time_point(seconds(42));
  for (const char* text : {
           "",
           "2015",
           "2015-08-30",
           "2015-08-30T12:36",
           "2015-08-30T12:36:00",        // no zone
           "2015-08-30T12:36:00+01:00",  // only UTC offsets are accepted
           "2015-08-30T12:36:00-00:00",
           "2015-08-30T12:36:00ZZ",
           "2015-08-30T12:36:00Z ",
           " 2015-08-30T12:36:00Z",
           "2015/08/30T12:36:00Z",
           "2015-08-30X12:36:00Z",
           "2015-08-30T12-36-00Z",
           "20150830T123600Z",
           "2015-8-30T12:36:00Z",
           "2015-13-01T00:00:00Z",  // month
           "2015-00-01T00:00:00Z",
           "2015-08-32T00:00:00Z",  // day
           "2015-08-00T00:00:00Z",
           "2015-02-30T00:00:00Z",  // no such date
           "2015-02-29T00:00:00Z",  // not a leap year
           "2015-08-30T24:00:00Z",  // hour
           "2015-08-30T12:60:00Z",  // minute
           "2015-08-30T12:36:61Z",  // second
           "2015-08-30T12:36:0aZ",
           "abcd-08-30T12:36:00Z",
       }) {
    system_clock::time_point t = sentinel;
    EXPECT_FALSE(parse_iso8601(text, t)) << text;
    EXPECT_EQ(t, sentinel) << text;
  }
}

TEST(ParseIso8601, LeapDayInLeapYear) {
  system_clock::time_point t;
  ASSERT_TRUE(parse_iso8601("2024-02-29T00:00:00Z", t));
  EXPECT_EQ(t, sys_days{year{2024} / February / 29});
}

}  // namespace
// Found by the credentials fuzz target (UBSan: signed overflow): an Expiration past what system_clock
// can hold is refused instead of overflowing.
TEST(Clock, RefusesDatesSystemClockCannotHold) {
  std::chrono::system_clock::time_point t{};
  EXPECT_FALSE(parse_iso8601("2830-01-01T00:00:00Z", t));
  EXPECT_FALSE(parse_iso8601("9999-12-31T23:59:59Z", t));
  EXPECT_FALSE(parse_iso8601("1000-01-01T00:00:00Z", t));
  EXPECT_TRUE(parse_iso8601("2200-01-01T00:00:00Z", t));
}

TEST(Clock, CalendarArithmeticMatchesTheCivilDate) {
  // A leap day at its last second, the last second of a year, and a date past 2038.
  EXPECT_EQ(format_iso8601(time_point_cast<system_clock::duration>(sys_days{year{2024} / February / 29} + hours{23} +
                                                                   minutes{59} + seconds{59})),
            "2024-02-29T23:59:59Z");
  EXPECT_EQ(format_amz_date(time_point_cast<system_clock::duration>(sys_days{year{1999} / December / 31} + hours{23} +
                                                                    minutes{59} + seconds{59})),
            "19991231T235959Z");
  EXPECT_EQ(format_iso8601(time_point_cast<system_clock::duration>(sys_days{year{2100} / March / 1})),
            "2100-03-01T00:00:00Z");
}

TEST(Clock, AppendIso8601AppendsToWhatIsThere) {
  std::string out = "ts=";
  append_iso8601(out, system_clock::time_point{});
  EXPECT_EQ(out, "ts=1970-01-01T00:00:00Z");
}

}  // namespace llamachat::util
