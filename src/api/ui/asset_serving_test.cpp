#include "api/ui/asset_serving.hpp"

#include <gtest/gtest.h>

#include <array>
#include <string>

#include "util/crypto.hpp"

namespace llamachat::api::ui {
namespace {

// A page and a script whose gzip form is smaller, and an icon whose gzip form is not.
const std::array<EmbeddedFile, 3> kFiles{{
    {"/index.html", "<html>page</html>", "gz", "0123456789abcdef", "\"0123456789abcdef\"", "\"0123456789abcdef-gzip\""},
    {"/app.js", "console.log(1);", "z", "fedcba9876543210", "\"fedcba9876543210\"", "\"fedcba9876543210-gzip\""},
    {"/favicon.svg", "<svg/>", "longer than the content", "1111222233334444", "\"1111222233334444\"",
     "\"1111222233334444-gzip\""},
}};

TEST(AssetServing, FindsFilesAndAliases) {
  EXPECT_EQ(find_asset(kFiles, "/"), &kFiles[0]);
  EXPECT_EQ(find_asset(kFiles, "/index.html"), &kFiles[0]);
  EXPECT_EQ(find_asset(kFiles, "/app.js"), &kFiles[1]);
  EXPECT_EQ(find_asset(kFiles, "/favicon.ico"), &kFiles[2]);
  EXPECT_EQ(find_asset(kFiles, "/missing.js"), nullptr);
  EXPECT_EQ(find_asset(kFiles, "/APP.JS"), nullptr);
}

TEST(AssetServing, AcceptEncodingWeights) {
  EXPECT_TRUE(accepts_gzip("gzip"));
  EXPECT_TRUE(accepts_gzip("gzip, deflate, br"));
  EXPECT_TRUE(accepts_gzip("br;q=1.0, GZIP;q=0.5"));
  EXPECT_TRUE(accepts_gzip("x-gzip"));
  EXPECT_TRUE(accepts_gzip("*"));
  EXPECT_TRUE(accepts_gzip(" deflate ,\tgzip ; q=0.001"));
  EXPECT_FALSE(accepts_gzip(""));
  EXPECT_FALSE(accepts_gzip("identity"));
  EXPECT_FALSE(accepts_gzip("br, deflate"));
  EXPECT_FALSE(accepts_gzip("gzip;q=0"));
  EXPECT_FALSE(accepts_gzip("gzip; q=0.000"));
  EXPECT_FALSE(accepts_gzip("gzip;Q=0.0, br"));
  EXPECT_FALSE(accepts_gzip("*;q=0"));
  EXPECT_FALSE(accepts_gzip("gzip;q=0, *"));  // named: its own weight wins over "*"
  EXPECT_TRUE(accepts_gzip("*;q=0, gzip"));
  EXPECT_FALSE(accepts_gzip("gzipped"));
}

TEST(AssetServing, IfNoneMatchLists) {
  EXPECT_TRUE(none_match_hits("\"abc\"", "\"abc\""));
  EXPECT_TRUE(none_match_hits("\"x\", \"abc\"", "\"abc\""));
  EXPECT_TRUE(none_match_hits("W/\"abc\"", "\"abc\""));  // If-None-Match compares weakly
  EXPECT_TRUE(none_match_hits(" * ", "\"abc\""));
  EXPECT_FALSE(none_match_hits("\"abcd\"", "\"abc\""));
  EXPECT_FALSE(none_match_hits("abc", "\"abc\""));
  EXPECT_FALSE(none_match_hits("", "\"abc\""));
  EXPECT_FALSE(none_match_hits("\"abc-gzip\"", "\"abc\""));
}

TEST(AssetServing, PlainAnswerWithoutAcceptEncoding) {
  const AssetAnswer a = answer_asset(kFiles[0], {"/", "", "", ""});
  EXPECT_EQ(a.status, 200u);
  EXPECT_FALSE(a.gzip);
  EXPECT_EQ(a.body, "<html>page</html>");
  EXPECT_EQ(a.etag, "\"0123456789abcdef\"");
  EXPECT_EQ(a.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(a.cache_control, "no-cache");
}

TEST(AssetServing, GzipWhenAcceptedWithItsOwnEtag) {
  const AssetAnswer a = answer_asset(kFiles[1], {"/app.js", "", "gzip, deflate", ""});
  EXPECT_EQ(a.status, 200u);
  EXPECT_TRUE(a.gzip);
  EXPECT_EQ(a.body, "z");
  EXPECT_EQ(a.etag, "\"fedcba9876543210-gzip\"");
  EXPECT_EQ(a.content_type, "text/javascript; charset=utf-8");
}

TEST(AssetServing, NoGzipWhenItWouldBeLarger) {
  const AssetAnswer a = answer_asset(kFiles[2], {"/favicon.svg", "", "gzip", ""});
  EXPECT_FALSE(a.gzip);
  EXPECT_EQ(a.body, "<svg/>");
  EXPECT_EQ(a.content_type, "image/svg+xml");
}

TEST(AssetServing, NotModifiedOnlyForTheSameRepresentation) {
  const AssetAnswer hit = answer_asset(kFiles[1], {"/app.js", "", "gzip", "\"fedcba9876543210-gzip\""});
  EXPECT_EQ(hit.status, 304u);
  EXPECT_TRUE(hit.body.empty());
  EXPECT_EQ(hit.etag, "\"fedcba9876543210-gzip\"");
  EXPECT_EQ(hit.cache_control, "no-cache");
  // The identity ETag does not validate the gzip form, and the other way round.
  EXPECT_EQ(answer_asset(kFiles[1], {"/app.js", "", "gzip", "\"fedcba9876543210\""}).status, 200u);
  EXPECT_EQ(answer_asset(kFiles[1], {"/app.js", "", "", "\"fedcba9876543210-gzip\""}).status, 200u);
  EXPECT_EQ(answer_asset(kFiles[1], {"/app.js", "", "", "\"old\", \"fedcba9876543210\""}).status, 304u);
}

TEST(AssetServing, VersionedUrlsAreImmutable) {
  EXPECT_EQ(answer_asset(kFiles[1], {"/app.js", "v=fedcba9876543210", "", ""}).cache_control,
            "public, max-age=31536000, immutable");
  EXPECT_EQ(answer_asset(kFiles[1], {"/app.js", "v=0000000000000000", "", ""}).cache_control, "no-cache");
  EXPECT_EQ(answer_asset(kFiles[1], {"/app.js", "x=fedcba9876543210", "", ""}).cache_control, "no-cache");
}

TEST(AssetServing, SecurityPolicyIsStrict) {
  const std::string csp(kContentSecurityPolicy);
  for (const char* directive : {"default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:",
                                "frame-ancestors 'none'", "base-uri 'none'", "form-action 'self'"})
    EXPECT_NE(csp.find(directive), std::string::npos) << directive;
  EXPECT_EQ(csp.find("unsafe"), std::string::npos);
}

// The build embeds each file with its gzip form, its version (the SHA-256 prefix) and the page's references
// to the other files carry those versions.
TEST(AssetServing, EmbeddedFilesAreConsistent) {
  const auto files = embedded_files();
  ASSERT_NE(find_asset(files, "/"), nullptr);
  for (const EmbeddedFile& file : files) {
    SCOPED_TRACE(std::string(file.path));
    EXPECT_EQ(file.version, util::sha256_hex(file.content).substr(0, 16));
    EXPECT_EQ(file.etag, "\"" + std::string(file.version) + "\"");
    EXPECT_EQ(file.gzipped_etag, "\"" + std::string(file.version) + "-gzip\"");
    ASSERT_GE(file.gzipped.size(), 10u);
    EXPECT_EQ(static_cast<unsigned char>(file.gzipped[0]), 0x1f);
    EXPECT_EQ(static_cast<unsigned char>(file.gzipped[1]), 0x8b);
    EXPECT_EQ(file.gzipped[4] | file.gzipped[5] | file.gzipped[6] | file.gzipped[7], 0);  // no time stamp (-n)
  }
  const std::string page(find_asset(files, "/")->content);
  const EmbeddedFile* script = find_asset(files, "/app.js");
  ASSERT_NE(script, nullptr);
  EXPECT_NE(page.find("\"/app.js?v=" + std::string(script->version) + "\""), std::string::npos);
}

}  // namespace
}  // namespace llamachat::api::ui
