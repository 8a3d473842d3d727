#include <gtest/gtest.h>

#include "aws/credentials/process_runner.hpp"
#include "aws/credentials/provider.hpp"
#include "aws/credentials/test_support.hpp"
#include "support/run_async.hpp"

namespace llamachat::aws::credentials {
namespace {

using namespace std::chrono_literals;
using llamachat::test::run_async;
using test::contains;
using testing::get_error;
using testing::map_environment;
using testing::TempDir;

// Two files in a temp dir and an environment pointing at them.
struct ProfileFixture {
  TempDir dir;
  std::string config_path = (dir.path() / "config").string();
  std::string credentials_path = (dir.path() / "credentials").string();

  util::Environment env(test::Variables extra = {}) const {
    return test::isolated_aws_environment(dir.path(), std::move(extra));
  }
};

TEST(ProfileProvider, StaticKeysFromCredentialsFileWinOverConfigFile) {
  ProfileFixture f;
  f.dir.write("config",
              "[default]\naws_access_key_id = CFGDEFAULT\naws_secret_access_key = CFGDEFAULTSECRET\n"
              "[profile dev]\naws_access_key_id = CFGDEV\naws_secret_access_key = CFGDEVSECRET\nregion = eu-west-1\n");
  f.dir.write("credentials",
              "[dev]\naws_access_key_id = CREDDEV\naws_secret_access_key = CREDDEVSECRET\n"
              "aws_session_token = CREDDEVTOKEN\n");

  const Credentials dev = run_async(make_profile_provider(f.env({{"AWS_PROFILE", "dev"}}))->get());
  EXPECT_EQ(dev.access_key_id, "CREDDEV");
  EXPECT_EQ(dev.secret_access_key, "CREDDEVSECRET");
  EXPECT_EQ(dev.session_token, "CREDDEVTOKEN");
  EXPECT_EQ(dev.provider, "profile:dev");
  EXPECT_FALSE(dev.expiration);

  const Credentials def = run_async(make_profile_provider(f.env())->get());
  EXPECT_EQ(def.access_key_id, "CFGDEFAULT");
  EXPECT_EQ(def.provider, "profile:default");
}

TEST(ProfileProvider, ConfigProfileNeedsTheProfilePrefix) {
  ProfileFixture f;
  f.dir.write("config",
              "[profile cfg]\naws_access_key_id = FROMPROFILE\naws_secret_access_key = S1\n"
              "[bare]\naws_access_key_id = FROMBARE\naws_secret_access_key = S2\n");
  EXPECT_EQ(run_async(make_profile_provider(f.env({{"AWS_PROFILE", "cfg"}}))->get()).access_key_id, "FROMPROFILE");
  const auto e = get_error(make_profile_provider(f.env({{"AWS_PROFILE", "bare"}})));
  EXPECT_EQ(e.kind(), CredentialsErrorKind::failed);  // asked for by name, but not there
  EXPECT_TRUE(contains(e.what(), "profile bare: not found")) << e.what();
}

TEST(ProfileProvider, MissingDefaultIsNotConfiguredAndProfileWithoutKeysIsSkipped) {
  ProfileFixture f;
  auto e = get_error(make_profile_provider(f.env()));
  EXPECT_EQ(e.kind(), CredentialsErrorKind::not_configured);

  f.dir.write("config", "[default]\nregion = us-east-2\n");
  e = get_error(make_profile_provider(f.env()));
  EXPECT_EQ(e.kind(), CredentialsErrorKind::not_configured);
  EXPECT_TRUE(contains(e.what(), "profile default: no credentials")) << e.what();
}

TEST(ProfileProvider, HalfStaticKeysFailWithoutLeakingTheKey) {
  ProfileFixture f;
  f.dir.write("credentials", "[default]\naws_access_key_id = AKIDHALF\n");
  const auto e = get_error(make_profile_provider(f.env()));
  EXPECT_EQ(e.kind(), CredentialsErrorKind::failed);
  EXPECT_TRUE(contains(e.what(), "aws_secret_access_key is not")) << e.what();
}

TEST(ProfileProvider, UnsupportedProfileKindsAreNamed) {
  ProfileFixture f;
  f.dir.write("config",
              "[profile assume]\nrole_arn = arn:aws:iam::123456789012:role/r\nsource_profile = default\n"
              "[profile sso]\nsso_session = corp\nsso_account_id = 123456789012\n");
  auto e = get_error(make_profile_provider(f.env({{"AWS_PROFILE", "assume"}})));
  EXPECT_TRUE(contains(e.what(), "assume-role profiles")) << e.what();
  e = get_error(make_profile_provider(f.env({{"AWS_PROFILE", "sso"}})));
  EXPECT_TRUE(contains(e.what(), "SSO profiles are not supported")) << e.what();
}

TEST(CredentialProcess, RunsThroughTheShellAndParsesTheOutput) {
  ProfileFixture f;
  // The argument proves /bin/sh -c word splitting; the quoted JSON proves the output is parsed.
  const std::string script = f.dir.write("creds.sh",
                                         "#!/bin/sh\n"
                                         "printf '{\"Version\": 1, \"AccessKeyId\": \"%s\", \"SecretAccessKey\": "
                                         "\"PROCSECRET\", \"SessionToken\": \"PROCTOKEN\", \"Expiration\": "
                                         "\"2031-02-03T04:05:06Z\"}' \"$1\"\n",
                                         true);
  f.dir.write("config", "[profile proc]\ncredential_process = " + script + " AKIDFROMARG\n");
  const Credentials c = run_async(make_profile_provider(f.env({{"AWS_PROFILE", "proc"}}))->get());
  EXPECT_EQ(c.access_key_id, "AKIDFROMARG");
  EXPECT_EQ(c.secret_access_key, "PROCSECRET");
  EXPECT_EQ(c.session_token, "PROCTOKEN");
  ASSERT_TRUE(c.expiration);
  EXPECT_EQ(util::format_iso8601(*c.expiration), "2031-02-03T04:05:06Z");
  EXPECT_EQ(c.provider, "profile:proc (credential_process)");
}

TEST(CredentialProcess, StaticKeysInTheSameProfileWin) {
  ProfileFixture f;
  f.dir.write("credentials",
              "[default]\naws_access_key_id = STATIC\naws_secret_access_key = S\n"
              "credential_process = /bin/false\n");
  EXPECT_EQ(run_async(make_profile_provider(f.env())->get()).access_key_id, "STATIC");
}

TEST(CredentialProcess, NonZeroExitIsAFailure) {
  ProfileFixture f;
  const std::string script = f.dir.write(
      "fail.sh", "#!/bin/sh\necho '{\"Version\":1,\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"LEAKED\"}'\nexit 3\n",
      true);
  f.dir.write("config", "[default]\ncredential_process = " + script + "\n");
  const auto e = get_error(make_profile_provider(f.env()));
  EXPECT_EQ(e.kind(), CredentialsErrorKind::failed);
  EXPECT_TRUE(contains(e.what(), "profile default: credential_process exited with status 3")) << e.what();
  EXPECT_FALSE(contains(e.what(), "LEAKED")) << e.what();
}

TEST(CredentialProcess, GarbageOutputIsAFailureThatDoesNotQuoteIt) {
  ProfileFixture f;
  const std::string script =
      f.dir.write("garbage.sh", "#!/bin/sh\necho 'SecretAccessKey=GARBAGESECRET not json'\n", true);
  f.dir.write("config", "[default]\ncredential_process = " + script + "\n");
  const auto e = get_error(make_profile_provider(f.env()));
  EXPECT_TRUE(contains(e.what(), "credential_process: output is not a JSON object")) << e.what();
  EXPECT_FALSE(contains(e.what(), "GARBAGESECRET")) << e.what();

  f.dir.write("garbage.sh",
              "#!/bin/sh\necho '{\"Version\":2,\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"V2SECRET\"}'\n", true);
  const auto v2 = get_error(make_profile_provider(f.env()));
  EXPECT_TRUE(contains(v2.what(), "unsupported Version")) << v2.what();
  EXPECT_FALSE(contains(v2.what(), "V2SECRET")) << v2.what();
}

TEST(CredentialProcess, MissingCommandFailsClearly) {
  ProfileFixture f;
  f.dir.write("config", "[default]\ncredential_process = " + (f.dir.path() / "does-not-exist").string() + "\n");
  const auto e = get_error(make_profile_provider(f.env()));
  EXPECT_TRUE(contains(e.what(), "credential_process exited with status 127")) << e.what();
}

TEST(CredentialProcess, TimeLimitKillsTheProcessGroup) {
  ProfileFixture f;
  // The background sleep keeps stdout open: only killing the whole group ends the read.
  const std::string script = f.dir.write("slow.sh", "#!/bin/sh\nsleep 30 &\nsleep 30\n", true);
  f.dir.write("config", "[default]\ncredential_process = " + script + "\n");
  ChainOptions options;
  options.process_timeout = 300ms;
  const auto e = get_error(make_profile_provider(f.env(), options));
  EXPECT_TRUE(contains(e.what(), "credential_process did not finish within 300 ms")) << e.what();
}

TEST(CredentialProcess, OutputLimit) {
  ProfileFixture f;
  const std::string script = f.dir.write("big.sh", "#!/bin/sh\nhead -c 200000 /dev/zero | tr '\\0' 'x'\n", true);
  f.dir.write("config", "[default]\ncredential_process = " + script + "\n");
  ChainOptions options;
  options.process_max_output = 1024;
  const auto e = get_error(make_profile_provider(f.env(), options));
  EXPECT_TRUE(contains(e.what(), "credential_process printed more than 1024 bytes")) << e.what();
}

TEST(ProcessRunner, ReportsExitCodeSignalAndOutput) {
  auto r = run_async(run_shell_command("printf abc; exit 7", 10s, 100));
  EXPECT_EQ(r.output, "abc");
  EXPECT_EQ(r.exit_code, 7);
  EXPECT_FALSE(r.timed_out);
  r = run_async(run_shell_command("kill -9 $$", 10s, 100));
  EXPECT_EQ(r.term_signal, 9);
  EXPECT_FALSE(r.exit_code);
  r = run_async(run_shell_command("read x; echo \"[$x]\"", 10s, 100));  // stdin is /dev/null
  EXPECT_EQ(r.output, "[]\n");
}

}  // namespace
}  // namespace llamachat::aws::credentials
