#pragma once
// Test PKI generated at run time with the OpenSSL API: a test CA, server certificates it signs for the
// names you ask for, and self-signed (untrusted) certificates. Keys are EC P-256. Everything is returned
// as PEM strings and also written to a private temporary directory that is deleted with the TestCa.
//
//   llamachat::test::TestCa ca;                                  // CA cert at ca.ca_cert_path()
//   auto server = ca.issue({"localhost", "127.0.0.1"});          // names: DNS names or IP literals
//   auto rogue = ca.self_signed({"localhost", "127.0.0.1"});     // not chained to the CA
//   // server.cert_pem / server.key_pem, or server.cert_path / server.key_path
//
// Certificates are valid from one hour ago to one day from now. Not thread-safe; create per test or fixture.
#include <memory>
#include <string>
#include <vector>

namespace llamachat::test {

struct TestCertificate {
  std::string cert_pem;   // leaf certificate
  std::string key_pem;    // its private key (PKCS#8, unencrypted)
  std::string cert_path;  // the same, written to files inside the TestCa's directory
  std::string key_path;
};

class TestCa {
 public:
  // common_name: the CA's subject CN. Throws std::runtime_error on any OpenSSL failure.
  explicit TestCa(std::string common_name = "llamachat test CA");
  ~TestCa();
  TestCa(const TestCa&) = delete;
  TestCa& operator=(const TestCa&) = delete;

  const std::string& ca_cert_pem() const noexcept;
  const std::string& ca_cert_path() const noexcept;  // PEM file, usable as a CA bundle
  const std::string& directory() const noexcept;     // the temporary directory holding every file

  // A server certificate (serverAuth) signed by this CA. Each name becomes a subjectAltName entry: IP
  // literals (v4 or v6) as IP:, anything else as DNS:. The first name is also the subject CN.
  TestCertificate issue(const std::vector<std::string>& names);
  // A self-signed server certificate for the same kind of names; no client trusting this CA accepts it.
  TestCertificate self_signed(const std::vector<std::string>& names);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace llamachat::test
