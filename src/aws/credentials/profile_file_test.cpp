#include "aws/credentials/profile_file.hpp"

#include <gtest/gtest.h>

#include "aws/credentials/region.hpp"
#include "aws/credentials/test_support.hpp"

namespace llamachat::aws::credentials {
namespace {

using testing::map_environment;
using testing::TempDir;

TEST(ProfileFileParse, ConfigFileMapsDefaultAndProfileSectionsOnly) {
  const auto profiles = parse_profile_file(
      "# leading comment\n"
      "stray = ignored\n"
      "[default]\n"
      "region = us-east-1\n"
      "[profile dev]\n"
      "region=eu-west-1\n"
      "[  profile   spaced  ]\n"
      "region = ap-south-1\n"
      "[plain]\n"
      "region = ignored-in-config\n"
      "[sso-session corp]\n"
      "sso_region = us-east-1\n"
      "[profilex]\n"
      "region = not-a-profile\n",
      ProfileFileKind::config);
  ASSERT_EQ(profiles.size(), 3u);
  EXPECT_EQ(profiles.at("default").at("region"), "us-east-1");
  EXPECT_EQ(profiles.at("dev").at("region"), "eu-west-1");
  EXPECT_EQ(profiles.at("spaced").at("region"), "ap-south-1");
  EXPECT_FALSE(profiles.contains("plain"));
  EXPECT_FALSE(profiles.contains("profilex"));
  EXPECT_FALSE(profiles.contains("corp"));
}

TEST(ProfileFileParse, CredentialsFileUsesBareSectionNames) {
  const auto profiles = parse_profile_file(
      "[default]\naws_access_key_id = A\n[dev]\naws_access_key_id = B\n[profile x]\naws_access_key_id = C\n",
      ProfileFileKind::credentials);
  EXPECT_EQ(profiles.at("default").at("aws_access_key_id"), "A");
  EXPECT_EQ(profiles.at("dev").at("aws_access_key_id"), "B");
  // Not special in the credentials file: the section is literally named "profile x".
  EXPECT_EQ(profiles.at("profile x").at("aws_access_key_id"), "C");
  EXPECT_FALSE(profiles.contains("x"));
}

TEST(ProfileFileParse, CommentsWhitespaceAndCrLf) {
  const auto profiles = parse_profile_file(
      "[default] # trailing comment\r\n"
      "  ; indented comment line\r\n"
      "region = us-west-2 ; inline comment\r\n"
      "key_with_hash = abc#def\r\n"
      "output=json#notacomment\r\n"
      "\r\n"
      "empty =\r\n",
      ProfileFileKind::config);
  const auto& p = profiles.at("default");
  EXPECT_EQ(p.at("region"), "us-west-2");
  EXPECT_EQ(p.at("key_with_hash"), "abc#def");  // '#' not preceded by whitespace stays
  EXPECT_EQ(p.at("output"), "json#notacomment");
  EXPECT_EQ(p.at("empty"), "");
}

TEST(ProfileFileParse, ContinuationLinesAndSubProperties) {
  const auto profiles = parse_profile_file(
      "[profile dev]\n"
      "s3 =\n"
      "  max_concurrent_requests = 20\n"
      "  addressing_style = path\n"
      "region = eu-central-1\n",
      ProfileFileKind::config);
  const auto& p = profiles.at("dev");
  EXPECT_EQ(p.at("s3"), "\nmax_concurrent_requests = 20\naddressing_style = path");
  EXPECT_EQ(p.at("region"), "eu-central-1");
  EXPECT_FALSE(p.contains("max_concurrent_requests"));
}

TEST(ProfileFileParse, RepeatedSectionsMergeAndLaterValuesWin) {
  const auto profiles = parse_profile_file("[default]\na = 1\nb = 1\n[profile default]\nb = 2\n[default]\nc = 3\n",
                                           ProfileFileKind::config);
  const auto& p = profiles.at("default");
  EXPECT_EQ(p.at("a"), "1");
  EXPECT_EQ(p.at("b"), "2");
  EXPECT_EQ(p.at("c"), "3");
}

TEST(ProfileFileParse, MalformedLinesAreIgnored) {
  const auto profiles = parse_profile_file("[unterminated\nx = 1\n[default]\nno equals here\n= novalue\ny = 2\n",
                                           ProfileFileKind::credentials);
  ASSERT_EQ(profiles.size(), 1u);
  EXPECT_EQ(profiles.at("default").size(), 1u);
  EXPECT_EQ(profiles.at("default").at("y"), "2");
}

TEST(ProfileLocate, DefaultsUnderHomeAndOverrides) {
  auto where = locate_profile(map_environment({{"HOME", "/home/u"}}));
  EXPECT_EQ(where.config_file, "/home/u/.aws/config");
  EXPECT_EQ(where.credentials_file, "/home/u/.aws/credentials");
  EXPECT_EQ(where.profile, "default");
  EXPECT_FALSE(where.profile_from_env);

  where = locate_profile(map_environment({{"HOME", "/home/u"},
                                          {"AWS_CONFIG_FILE", "~/cfg"},
                                          {"AWS_SHARED_CREDENTIALS_FILE", "/etc/creds"},
                                          {"AWS_PROFILE", "dev"}}));
  EXPECT_EQ(where.config_file, "/home/u/cfg");
  EXPECT_EQ(where.credentials_file, "/etc/creds");
  EXPECT_EQ(where.profile, "dev");
  EXPECT_TRUE(where.profile_from_env);

  where = locate_profile(map_environment({}));
  EXPECT_TRUE(where.config_file.empty());
  EXPECT_TRUE(where.credentials_file.empty());
}

TEST(ProfileLoad, CredentialsFileOverridesConfigFileKeyByKey) {
  TempDir dir;
  const auto config = dir.write("config", "[profile dev]\nregion = eu-west-1\naws_access_key_id = FROMCONFIG\n");
  const auto creds = dir.write("credentials", "[dev]\naws_access_key_id = FROMCREDS\n");
  ProfileLocation where;
  where.config_file = config;
  where.credentials_file = creds;
  where.profile = "dev";
  const LoadedProfile p = load_profile(where);
  ASSERT_TRUE(p.found);
  EXPECT_EQ(p.get("aws_access_key_id"), "FROMCREDS");
  EXPECT_EQ(p.get("region"), "eu-west-1");
  EXPECT_EQ(p.get("absent"), std::nullopt);

  where.profile = "nope";
  EXPECT_FALSE(load_profile(where).found);
  where.config_file = dir.path() / "missing";
  where.credentials_file = dir.path() / "missing-too";
  where.profile = "dev";
  EXPECT_FALSE(load_profile(where).found);
}

TEST(Region, EnvironmentThenProfileWithoutDefault) {
  TempDir dir;
  const auto config = dir.write("config", "[default]\nregion = eu-north-1\n[profile dev]\nregion = sa-east-1\n");
  const auto missing = (dir.path() / "missing").string();

  EXPECT_EQ(resolve_region(map_environment(
                {{"AWS_REGION", "us-west-2"}, {"AWS_DEFAULT_REGION", "us-east-2"}, {"AWS_CONFIG_FILE", config}})),
            "us-west-2");
  EXPECT_EQ(resolve_region(map_environment(
                {{"AWS_REGION", ""}, {"AWS_DEFAULT_REGION", "us-east-2"}, {"AWS_CONFIG_FILE", config}})),
            "us-east-2");
  EXPECT_EQ(resolve_region(map_environment({{"AWS_CONFIG_FILE", config}, {"AWS_SHARED_CREDENTIALS_FILE", missing}})),
            "eu-north-1");
  EXPECT_EQ(resolve_region(map_environment(
                {{"AWS_CONFIG_FILE", config}, {"AWS_SHARED_CREDENTIALS_FILE", missing}, {"AWS_PROFILE", "dev"}})),
            "sa-east-1");
  // Nothing configured: no silent us-east-1.
  EXPECT_EQ(resolve_region(map_environment({{"AWS_CONFIG_FILE", missing}, {"AWS_SHARED_CREDENTIALS_FILE", missing}})),
            std::nullopt);
  EXPECT_EQ(resolve_region(map_environment({})), std::nullopt);
}

}  // namespace
}  // namespace llamachat::aws::credentials
