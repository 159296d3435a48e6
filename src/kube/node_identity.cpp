#include "kube/node_identity.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>

#include "kube/node_name.h"

namespace aim {
namespace {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};

// The subject's common name, or nullopt when it has none (or not exactly
// one: a subject with two CNs names nobody in particular).
std::optional<std::string> common_name(X509* cert) {
  const X509_NAME* subject = X509_get_subject_name(cert);
  if (!subject) return std::nullopt;
  const int at = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (at < 0 || X509_NAME_get_index_by_NID(subject, NID_commonName, at) >= 0) return std::nullopt;
  const ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, at));
  if (!data) return std::nullopt;
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(data)),
                     static_cast<size_t>(ASN1_STRING_length(data)));
}

Error failure(NodeIdentityFailure kind, const std::string& message) {
  return Error{message, static_cast<int>(kind)};
}

}  // namespace

Result<std::string> node_name_from_certificate(std::string_view pem, const std::string& source) {
  if (pem.size() > static_cast<size_t>(INT32_MAX)) return Error{source + ": too large"};
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return Error{source + ": out of memory"};
  // Skips other PEM blocks (a private key first, as some tools write them).
  std::unique_ptr<X509, X509Free> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  ERR_clear_error();  // OpenSSL's queue is per thread: leave it empty for libcurl
  if (!cert) return Error{source + " holds no PEM certificate"};
  const std::optional<std::string> cn = common_name(cert.get());
  if (!cn) return Error{source + ": the certificate's subject has no single common name (CN)"};
  if (cn->rfind(kNodeUserPrefix, 0) != 0)
    return Error{source + " is the certificate of \"" + std::string(cn->substr(0, 100)) +
                 "\", not of a node (CN=system:node:NAME)"};
  const std::string name = cn->substr(kNodeUserPrefix.size());
  if (!is_valid_node_name(name))
    return Error{source + ": the certificate's CN " + std::string(kNodeUserPrefix) +
                 "... does not end in a valid node name"};
  return name;
}

Result<NodeIdentity> node_identity_from_credentials(const std::string& kubeconfig_flag,
                                                    bool service_sandbox) {
  auto named = resolve_credentials(kubeconfig_flag, service_sandbox);
  if (!named) {
    // resolve_credentials says ENOENT both for "no credentials anywhere" and
    // for a named kubeconfig not there yet; only the second names a file.
    const bool named_one =
        !kubeconfig_flag.empty() || (std::getenv("KUBECONFIG") && *std::getenv("KUBECONFIG"));
    if (named.error_code() == ENOENT && !named_one)
      return failure(NodeIdentityFailure::NoCredentials, named.error());
    return failure(
        named.error_code() == ENOENT ? NodeIdentityFailure::NotYet : NodeIdentityFailure::NotANode,
        named.error());
  }
  if (named->cert_file.empty() && named->cert_pem.empty())
    return failure(NodeIdentityFailure::NotANode, "the credentials of " + named->source +
                                                      " are not a node's client certificate (" +
                                                      named->identity_hint +
                                                      "), so they do not say which node this is");
  const std::string cert_source = named->cert_pem.empty()
                                      ? "client-certificate " + named->cert_file
                                      : "client-certificate-data of " + named->source;
  Credentials only_cert;  // read the certificate alone (not the key, CA or token)
  only_cert.source = named->source;
  only_cert.cert_file = named->cert_file;
  only_cert.cert_pem = named->cert_pem;
  only_cert.service_sandbox = named->service_sandbox;
  auto read = read_credential_files(only_cert);
  if (!read)
    return failure(
        read.error_code() == ENOENT ? NodeIdentityFailure::NotYet : NodeIdentityFailure::NotANode,
        read.error());
  auto name = node_name_from_certificate(read->cert_pem, cert_source);
  if (!name) return failure(NodeIdentityFailure::NotANode, name.error());
  return NodeIdentity{*name, "the client certificate of " + named->source};
}

}  // namespace aim
