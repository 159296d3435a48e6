// The node a kubelet's client certificate names, and where the service looks
// for it. Certificates are made here with OpenSSL (self-signed: only the
// subject is read).
#include "kube/node_identity.h"

#include <gtest/gtest.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <memory>
#include <vector>

#include "util/sandbox_paths.h"

namespace aim {
namespace {

// A PEM certificate whose subject has these CN values (in order), plus its
// private key in PEM when `with_key` (first, as some tools write them).
std::string certificate(const std::vector<std::string>& common_names, bool key_first = false) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"), EVP_PKEY_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), X509_free);
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("system:nodes"), -1, -1, 0);
  for (const std::string& cn : common_names)
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>(cn.data()),
                               static_cast<int>(cn.size()), -1, 0);
  X509_set_issuer_name(cert.get(), name);
  X509_set_pubkey(cert.get(), key.get());
  X509_sign(cert.get(), key.get(), EVP_sha256());
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  if (key_first)
    PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  PEM_write_bio_X509(bio.get(), cert.get());
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

TEST(NodeIdentity, TheKubeletsCertificateNamesTheNode) {
  auto name = node_name_from_certificate(certificate({"system:node:aks-nodepool1-1234-vmss000000"}),
                                         "client-certificate x");
  ASSERT_TRUE(name) << name.error();
  EXPECT_EQ(*name, "aks-nodepool1-1234-vmss000000");
  // kubelet-client-current.pem holds the key too.
  name = node_name_from_certificate(certificate({"system:node:node1"}, true), "x");
  ASSERT_TRUE(name) << name.error();
  EXPECT_EQ(*name, "node1");
}

TEST(NodeIdentity, AnyOtherCertificateIsNotANode) {
  const auto refused = [](const std::string& pem) {
    auto name = node_name_from_certificate(pem, "client-certificate /k/c.crt");
    EXPECT_FALSE(name) << *name;
    return name ? std::string() : name.error();
  };
  std::string why = refused(certificate({"kubernetes-admin"}));
  EXPECT_NE(why.find("client-certificate /k/c.crt is the certificate of \"kubernetes-admin\", not "
                     "of a node (CN=system:node:NAME)"),
            std::string::npos)
      << why;
  why = refused(certificate({}));
  EXPECT_NE(why.find("no single common name"), std::string::npos) << why;
  why = refused(certificate({"system:node:a", "system:node:b"}));
  EXPECT_NE(why.find("no single common name"), std::string::npos) << why;
  for (const char* bad :
       {"system:node:", "system:node:Node_1", "system:node:a/../b", "system:node:node1\n"}) {
    why = refused(certificate({bad}));
    EXPECT_NE(why.find("does not end in a valid node name"), std::string::npos) << bad << why;
  }
  EXPECT_NE(refused("").find("holds no PEM certificate"), std::string::npos);
  EXPECT_NE(refused("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
                .find("holds no PEM certificate"),
            std::string::npos);
  const std::string pem = certificate({"system:node:node1"});
  EXPECT_NE(refused(pem.substr(0, pem.size() / 2)).find("holds no PEM certificate"),
            std::string::npos)
      << "cut short";
}

class NodeIdentityFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/aim-node-identity-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    unsetenv("KUBECONFIG");
  }
  void TearDown() override { std::system(("rm -rf " + dir_).c_str()); }
  std::string write(const std::string& name, const std::string& text) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path) << text;
    return path;
  }
  std::string kubeconfig(const std::string& user) {
    return write("kubeconfig",
                 "apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters:\n- name: c\n"
                 "  cluster: {server: 'https://127.0.0.1:6443'}\n"
                 "contexts:\n- name: c\n  context: {cluster: c, user: u}\n"
                 "users:\n- name: u\n  user:\n" +
                     user);
  }
  static NodeIdentityFailure kind(const Result<NodeIdentity>& r) {
    return static_cast<NodeIdentityFailure>(r.error_code());
  }
  std::string dir_;
};

TEST_F(NodeIdentityFiles, FromTheCertificateFileOrInlineData) {
  write("kubelet.pem", certificate({"system:node:node1"}, true));
  auto id = node_identity_from_credentials(
      kubeconfig("    client-certificate: kubelet.pem\n    client-key: kubelet.pem\n"));
  ASSERT_TRUE(id) << id.error();
  EXPECT_EQ(id->name, "node1");
  EXPECT_EQ(id->origin, "the client certificate of " + dir_ + "/kubeconfig");

  const std::string pem = certificate({"system:node:node2"});
  std::string b64(4 * ((pem.size() + 2) / 3) + 1, '\0');
  b64.resize(EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()),
                             reinterpret_cast<const unsigned char*>(pem.data()),
                             static_cast<int>(pem.size())));
  id = node_identity_from_credentials(
      kubeconfig("    client-certificate-data: " + b64 + "\n    client-key-data: " + b64 + "\n"));
  ASSERT_TRUE(id) << id.error();
  EXPECT_EQ(id->name, "node2");
}

TEST_F(NodeIdentityFiles, ATokenDoesNotNameANode) {
  auto id = node_identity_from_credentials(kubeconfig("    token: abc\n"));
  ASSERT_FALSE(id);
  EXPECT_EQ(kind(id), NodeIdentityFailure::NotANode);
  EXPECT_NE(id.error().find("not a node's client certificate (the bearer token of user 'u')"),
            std::string::npos)
      << id.error();
  write("admin.crt", certificate({"kubernetes-admin"}));
  id = node_identity_from_credentials(
      kubeconfig("    client-certificate: admin.crt\n    client-key: admin.crt\n"));
  ASSERT_FALSE(id);
  EXPECT_EQ(kind(id), NodeIdentityFailure::NotANode);
}

// The kubelet may still be bootstrapping: its kubeconfig or certificate
// comes later.
TEST_F(NodeIdentityFiles, MissingFilesAreNotYet) {
  auto id = node_identity_from_credentials(dir_ + "/no-kubeconfig");
  ASSERT_FALSE(id);
  EXPECT_EQ(kind(id), NodeIdentityFailure::NotYet) << id.error();
  id = node_identity_from_credentials(
      kubeconfig("    client-certificate: pki/current.pem\n    client-key: pki/current.pem\n"));
  ASSERT_FALSE(id);
  EXPECT_EQ(kind(id), NodeIdentityFailure::NotYet) << id.error();
  EXPECT_NE(id.error().find(dir_ + "/pki/current.pem"), std::string::npos) << id.error();
}

// For the service, a credential file under a place its unit hides is said to
// be hidden, with the fix, not "does not exist yet".
TEST_F(NodeIdentityFiles, ForTheServiceAHiddenPathIsNamedAsSuch) {
  auto named = resolve_credentials("/root/.kube/config-aim-test-absent", true);
  ASSERT_FALSE(named);
  EXPECT_NE(named.error().find("kubeconfig /root/.kube/config-aim-test-absent cannot be seen by "
                               "the service: the unit hides /root from the service "
                               "(ProtectHome=yes)"),
            std::string::npos)
      << named.error();
  EXPECT_NE(named.error().find("ProtectHome=read-only"), std::string::npos) << named.error();
  EXPECT_EQ(named.error().find("does not exist yet"), std::string::npos) << named.error();
  // By hand it is just missing.
  named = resolve_credentials("/root/.kube/config-aim-test-absent", false);
  ASSERT_FALSE(named);
  EXPECT_NE(named.error().find("does not exist yet"), std::string::npos) << named.error();

  const std::string config = kubeconfig(
      "    client-certificate: /home/nobody-aim/c.crt\n    client-key: /home/nobody-aim/c.key\n");
  auto id = node_identity_from_credentials(config, true);
  ASSERT_FALSE(id);
  EXPECT_NE(id.error().find("client-certificate /home/nobody-aim/c.crt cannot be seen by the "
                            "service: the unit hides /home"),
            std::string::npos)
      << id.error();
  // No waiting makes it visible: a configuration to fix (exit 78), not a
  // kubelet still bootstrapping (exit 1 and restart).
  EXPECT_EQ(kind(id), NodeIdentityFailure::NotANode);
  EXPECT_EQ(kind(node_identity_from_credentials("/root/.kube/config-aim-test-absent", true)),
            NodeIdentityFailure::NotANode);
}

TEST(SandboxPaths, WhatTheUnitHides) {
  for (const char* path :
       {"/root", "/root/.kube/config", "/home/u/k", "/run/user/0/k", "/tmp/k", "/var/tmp/k",
        "//root/k", "/./root/k", "/var/lib/../../root/k", "root/k"}) {
    auto place = hidden_from_service(path);
    EXPECT_TRUE(place) << path;
  }
  EXPECT_STREQ(hidden_from_service("/root/k")->setting, "ProtectHome=yes");
  EXPECT_STREQ(hidden_from_service("/tmp/k")->setting, "PrivateTmp=yes");
  for (const char* path :
       {"/rooted/k", "/var/lib/kubelet/kubeconfig", "/etc/kubernetes/kubelet.conf", "/homes/k",
        "/run/users/k", "/tmpfoo", "/root/../etc/k", ""})
    EXPECT_FALSE(hidden_from_service(path)) << path;
  const std::string tmp =
      hidden_from_service_message("kubeconfig", "/tmp/k", *hidden_from_service("/tmp/k"));
  EXPECT_NE(tmp.find("a private /tmp (PrivateTmp=yes)"), std::string::npos) << tmp;
  EXPECT_EQ(tmp.find("ProtectHome"), std::string::npos)
      << "no override for a private /tmp: " << tmp;
}

}  // namespace
}  // namespace aim
