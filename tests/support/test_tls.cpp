#include "support/test_tls.hpp"

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace llamachat::test {
namespace {

struct KeyFree {
  void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); }
};
struct CertFree {
  void operator()(X509* p) const noexcept { X509_free(p); }
};
struct BioFree {
  void operator()(BIO* p) const noexcept { BIO_free(p); }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, KeyFree>;
using CertPtr = std::unique_ptr<X509, CertFree>;
using BioPtr = std::unique_ptr<BIO, BioFree>;

void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("test TLS: ") + what + " failed");
}

KeyPtr new_key() {
  KeyPtr key(EVP_EC_gen("P-256"));
  check(key != nullptr, "EC key generation");
  return key;
}

bool is_ip(const std::string& name) {
  unsigned char buf[16];
  return inet_pton(AF_INET, name.c_str(), buf) == 1 || inet_pton(AF_INET6, name.c_str(), buf) == 1;
}

void add_ext(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  check(ext != nullptr, "X509V3_EXT_conf_nid");
  const int ok = X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  check(ok == 1, "X509_add_ext");
}

// A certificate for `subject_key` with subject CN `cn`, signed by `issuer_key` (issuer = `issuer`, or
// itself when issuer is null).
CertPtr make_cert(EVP_PKEY* subject_key, const std::string& cn, X509* issuer, EVP_PKEY* issuer_key, bool ca,
                  const std::vector<std::string>& names) {
  CertPtr cert(X509_new());
  check(cert != nullptr, "X509_new");
  check(X509_set_version(cert.get(), 2) == 1, "X509_set_version");
  unsigned char serial_bytes[16];
  check(RAND_bytes(serial_bytes, sizeof serial_bytes) == 1, "RAND_bytes");
  serial_bytes[0] &= 0x7f;  // positive
  BIGNUM* serial = BN_bin2bn(serial_bytes, sizeof serial_bytes, nullptr);
  check(serial != nullptr && BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(cert.get())) != nullptr, "serial");
  BN_free(serial);
  check(X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) != nullptr, "notBefore");
  check(X509_gmtime_adj(X509_getm_notAfter(cert.get()), 86400) != nullptr, "notAfter");
  check(X509_set_pubkey(cert.get(), subject_key) == 1, "X509_set_pubkey");
  X509_NAME* name = X509_get_subject_name(cert.get());
  check(X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("llamachat tests"),
                                   -1, -1, 0) == 1,
        "subject O");
  check(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(cn.c_str()), -1,
                                   -1, 0) == 1,
        "subject CN");
  X509* signer = issuer != nullptr ? issuer : cert.get();
  check(X509_set_issuer_name(cert.get(), X509_get_subject_name(signer)) == 1, "issuer name");

  add_ext(cert.get(), signer, NID_subject_key_identifier, "hash");
  if (ca) {
    add_ext(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE");
    add_ext(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    add_ext(cert.get(), signer, NID_basic_constraints, "critical,CA:FALSE");
    add_ext(cert.get(), signer, NID_key_usage, "critical,digitalSignature");
    add_ext(cert.get(), signer, NID_ext_key_usage, "serverAuth");
    std::string san;
    for (const auto& n : names) {
      if (!san.empty()) san += ',';
      san += (is_ip(n) ? "IP:" : "DNS:") + n;
    }
    if (!san.empty()) add_ext(cert.get(), signer, NID_subject_alt_name, san);
  }
  if (issuer != nullptr) add_ext(cert.get(), signer, NID_authority_key_identifier, "keyid:always");
  check(X509_sign(cert.get(), issuer_key, EVP_sha256()) > 0, "X509_sign");
  return cert;
}

std::string bio_string(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(n));
}

std::string cert_pem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  check(bio && PEM_write_bio_X509(bio.get(), cert) == 1, "PEM_write_bio_X509");
  return bio_string(bio.get());
}

std::string key_pem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  check(bio && PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) == 1,
        "PEM_write_bio_PrivateKey");
  return bio_string(bio.get());
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  check(static_cast<bool>(out), "writing a PEM file");
}

}  // namespace

struct TestCa::State {
  KeyPtr key;
  CertPtr cert;
  std::string cert_pem;
  std::string cert_path;
  std::string dir;
  int counter = 0;
};

TestCa::TestCa(std::string common_name) : state_(std::make_unique<State>()) {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/llamachat-tls-XXXXXX";
  check(mkdtemp(pattern.data()) != nullptr, "mkdtemp");
  state_->dir = pattern;
  state_->key = new_key();
  state_->cert = make_cert(state_->key.get(), common_name, nullptr, state_->key.get(), true, {});
  state_->cert_pem = cert_pem(state_->cert.get());
  state_->cert_path = state_->dir + "/ca.pem";
  write_file(state_->cert_path, state_->cert_pem);
}

TestCa::~TestCa() {
  std::error_code ignored;  // a leftover temp dir is harmless
  std::filesystem::remove_all(state_->dir, ignored);
}

const std::string& TestCa::ca_cert_pem() const noexcept { return state_->cert_pem; }
const std::string& TestCa::ca_cert_path() const noexcept { return state_->cert_path; }
const std::string& TestCa::directory() const noexcept { return state_->dir; }

TestCertificate TestCa::issue(const std::vector<std::string>& names) {
  auto key = new_key();
  const std::string cn = names.empty() ? "llamachat test server" : names.front();
  auto cert = make_cert(key.get(), cn, state_->cert.get(), state_->key.get(), false, names);
  TestCertificate out{cert_pem(cert.get()), key_pem(key.get()), {}, {}};
  const std::string base = state_->dir + "/server-" + std::to_string(++state_->counter);
  out.cert_path = base + ".crt.pem";
  out.key_path = base + ".key.pem";
  write_file(out.cert_path, out.cert_pem);
  write_file(out.key_path, out.key_pem);
  return out;
}

TestCertificate TestCa::self_signed(const std::vector<std::string>& names) {
  auto key = new_key();
  const std::string cn = names.empty() ? "llamachat untrusted server" : names.front();
  auto cert = make_cert(key.get(), cn, nullptr, key.get(), false, names);
  TestCertificate out{cert_pem(cert.get()), key_pem(key.get()), {}, {}};
  const std::string base = state_->dir + "/self-signed-" + std::to_string(++state_->counter);
  out.cert_path = base + ".crt.pem";
  out.key_path = base + ".key.pem";
  write_file(out.cert_path, out.cert_pem);
  write_file(out.key_path, out.key_pem);
  return out;
}

}  // namespace llamachat::test
