#include <gtest/gtest.h>

#include "aws/credentials/provider.hpp"
#include "aws/credentials/test_support.hpp"
#include "support/run_async.hpp"

namespace llamachat::aws::credentials {
namespace {

using llamachat::test::run_async;
using testing::GatedProvider;
using testing::map_environment;

std::shared_ptr<GatedProvider> not_configured(std::string name) {
  return std::make_shared<GatedProvider>(
      [name](int) -> Credentials {
        throw CredentialsError(name + ": nothing here", CredentialsErrorKind::not_configured);
      },
      true, name);
}

std::shared_ptr<GatedProvider> failing(std::string name) {
  return std::make_shared<GatedProvider>(
      [name](int) -> Credentials { throw CredentialsError(name + ": endpoint returned HTTP 500"); }, true, name);
}

std::shared_ptr<GatedProvider> working(std::string name) {
  return std::make_shared<GatedProvider>(
      [name](int n) {
        Credentials c;
        c.access_key_id = name + "-key-" + std::to_string(n);
        c.secret_access_key = "SECRET";
        c.provider = name;
        return c;
      },
      true, name);
}

std::string error_of(const std::shared_ptr<Provider>& p) {
  try {
    run_async(p->get());
  } catch (const CredentialsError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(ChainProvider, SkipsUnconfiguredProvidersAndRemembersTheOneThatWorked) {
  auto a = not_configured("a");
  auto b = not_configured("b");
  auto c = working("c");
  auto d = working("d");
  auto chain = make_chain_provider({a, b, c, d});

  const Credentials first = run_async(chain->get());
  EXPECT_EQ(first.provider, "c");
  EXPECT_EQ(first.access_key_id, "c-key-1");
  EXPECT_EQ(a->fetches(), 1);
  EXPECT_EQ(b->fetches(), 1);
  EXPECT_EQ(d->fetches(), 0);

  const Credentials second = run_async(chain->get());
  EXPECT_EQ(second.access_key_id, "c-key-2");
  EXPECT_EQ(a->fetches(), 1);  // remembered: c was asked first
  EXPECT_EQ(b->fetches(), 1);
}

TEST(ChainProvider, FailureStopsTheChainAndEveryProviderIsListed) {
  auto a = not_configured("environment");
  auto b = failing("container");
  auto c = working("imds");
  auto chain = make_chain_provider({a, b, c});
  const std::string error = error_of(chain);
  EXPECT_EQ(error,
            "no AWS credentials found; tried: [skipped] environment: nothing here | "
            "[FAILED] container: endpoint returned HTTP 500");
  EXPECT_EQ(c->fetches(), 0);
}

TEST(ChainProvider, NothingConfigured) {
  auto chain = make_chain_provider({not_configured("a"), not_configured("b")});
  EXPECT_EQ(error_of(chain), "no AWS credentials found; tried: [skipped] a: nothing here | [skipped] b: nothing here");
}

TEST(ChainProvider, RemembersProviderButRescansWhenItStopsWorking) {
  std::atomic<bool> c_works{true};
  auto a = not_configured("a");
  auto c = std::make_shared<GatedProvider>(
      [&](int) -> Credentials {
        if (!c_works) throw CredentialsError("c: gone", CredentialsErrorKind::not_configured);
        Credentials x;
        x.access_key_id = "from-c";
        x.secret_access_key = "S";
        x.provider = "c";
        return x;
      },
      true, "c");
  auto d = working("d");
  auto chain = make_chain_provider({a, c, d});
  EXPECT_EQ(run_async(chain->get()).provider, "c");
  c_works = false;
  EXPECT_EQ(run_async(chain->get()).provider, "d");
  EXPECT_EQ(c->fetches(), 2);  // asked once as the remembered provider, not again during the rescan
  EXPECT_EQ(a->fetches(), 2);
  EXPECT_EQ(run_async(chain->get()).provider, "d");
  EXPECT_EQ(a->fetches(), 2);
}

TEST(EnvironmentProvider, ReadsVariables) {
  auto p = make_environment_provider(map_environment(
      {{"AWS_ACCESS_KEY_ID", "AKIDENV"}, {"AWS_SECRET_ACCESS_KEY", "SECRETENV"}, {"AWS_SESSION_TOKEN", "TOKENENV"}}));
  const Credentials c = run_async(p->get());
  EXPECT_EQ(c.access_key_id, "AKIDENV");
  EXPECT_EQ(c.secret_access_key, "SECRETENV");
  EXPECT_EQ(c.session_token, "TOKENENV");
  EXPECT_EQ(c.provider, "environment");
  EXPECT_FALSE(c.expiration);
}

TEST(EnvironmentProvider, UnsetIsNotConfiguredAndHalfSetIsAFailureWithoutTheSecret) {
  try {
    run_async(make_environment_provider(map_environment({}))->get());
    FAIL();
  } catch (const CredentialsError& e) {
    EXPECT_EQ(e.kind(), CredentialsErrorKind::not_configured);
  }
  try {
    run_async(make_environment_provider(map_environment({{"AWS_SECRET_ACCESS_KEY", "SECRETONLY"}}))->get());
    FAIL();
  } catch (const CredentialsError& e) {
    EXPECT_EQ(e.kind(), CredentialsErrorKind::failed);
    EXPECT_EQ(std::string(e.what()).find("SECRETONLY"), std::string::npos);
  }
}

TEST(DefaultChain, EnvironmentFirstAndNamesOnlyVariables) {
  const auto env = map_environment({{"AWS_ACCESS_KEY_ID", "AKIDENV"},
                                    {"AWS_SECRET_ACCESS_KEY", "SECRETENV"},
                                    {"AWS_EC2_METADATA_DISABLED", "true"},
                                    {"AWS_REGION", "us-west-2"}});
  auto chain = make_default_chain(env, ChainOptions{});
  EXPECT_EQ(run_async(chain->get()).provider, "environment");
  const auto names = present_credential_variables(env);
  EXPECT_EQ(names, (std::vector<std::string>{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_EC2_METADATA_DISABLED",
                                             "AWS_REGION"}));
}

TEST(DefaultChain, NothingConfiguredListsEveryProviderWithoutSecrets) {
  testing::TempDir dir;
  const auto missing = (dir.path() / "missing").string();
  const auto env = map_environment(
      {{"AWS_CONFIG_FILE", missing}, {"AWS_SHARED_CREDENTIALS_FILE", missing}, {"AWS_EC2_METADATA_DISABLED", "TRUE"}});
  const std::string error = error_of(make_default_chain(env, ChainOptions{}));
  for (const char* name : {"environment:", "profile default:", "web-identity:", "container:", "imds:"})
    EXPECT_NE(error.find(name), std::string::npos) << name << " missing in: " << error;
  EXPECT_EQ(error.find("FAILED"), std::string::npos) << error;
}

}  // namespace
}  // namespace llamachat::aws::credentials
