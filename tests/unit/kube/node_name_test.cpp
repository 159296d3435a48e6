// Which node names are sent to the API server, and how names become paths.
#include "kube/node_name.h"

#include <gtest/gtest.h>

#include "kube/kube_api.h"
#include "kube/url.h"

namespace aim {
namespace {

TEST(KubeApiNodeName, DnsSubdomainsAreValid) {
  for (const char* name : {"node1", "a", "0", "aks-nodepool1-12345678-vmss000000", "a.b-c.d",
                           "10.0.0.1", "ip-10-0-0-1.ec2.internal", "a--b"})
    EXPECT_TRUE(is_valid_node_name(name)) << name;
  std::string longest;
  while (longest.size() < 253) longest += longest.size() % 2 ? "." : "a";
  EXPECT_TRUE(is_valid_node_name(longest)) << longest;
  EXPECT_FALSE(is_valid_node_name(longest + "a")) << "254 characters";
}

TEST(KubeApiNodeName, AnythingElseIsRefused) {
  for (const char* name : {"",
                           "Node1",
                           "node_1",
                           "-node",
                           "node-",
                           ".node",
                           "node.",
                           "a..b",
                           "a.-b",
                           "a-.b",
                           "node1/../../../api/v1/namespaces/kube-system/secrets/x",
                           "..",
                           ".",
                           "node 1",
                           "node1\n",
                           "n%2Fx",
                           "n?x",
                           "n#x",
                           "n\xc3\xa4",
                           "node1@evil"})
    EXPECT_FALSE(is_valid_node_name(name)) << name;
  EXPECT_FALSE(is_valid_node_name(std::string("node\0x", 6)));
}

TEST(KubeApiNodeName, MessageShowsTheNameSafelyAndWhatIsValid) {
  const std::string m = invalid_node_name_message("Bad/\n\x1b[31mname");
  EXPECT_NE(m.find("node name \"Bad/\\x0a\\x1b[31mname\""), std::string::npos) << m;
  EXPECT_NE(m.find("lowercase letters, digits, '-' and '.'"), std::string::npos) << m;
  EXPECT_NE(m.find("kubectl get nodes"), std::string::npos) << m;
  const std::string long_one = invalid_node_name_message(std::string(5000, 'X'));
  EXPECT_LT(long_one.size(), 600u);
  EXPECT_NE(long_one.find("(5000 characters)"), std::string::npos);
}

TEST(KubeApiUrl, EscapePathSegmentKeepsOneSegment) {
  EXPECT_EQ(escape_path_segment("node1"), "node1");
  EXPECT_EQ(escape_path_segment("aks-np.1_x~y"), "aks-np.1_x~y");
  EXPECT_EQ(escape_path_segment("a/b"), "a%2Fb");
  EXPECT_EQ(escape_path_segment("node1/../../x"), "node1%2F..%2F..%2Fx");
  EXPECT_EQ(escape_path_segment(".."), "%2E%2E");
  EXPECT_EQ(escape_path_segment("."), "%2E");
  EXPECT_EQ(escape_path_segment("..."), "...");
  EXPECT_EQ(escape_path_segment("a b?c#d%e"), "a%20b%3Fc%23d%25e");
  EXPECT_EQ(escape_path_segment("\xc3\xa4\n"), "%C3%A4%0A");
  EXPECT_EQ(escape_path_segment(""), "");
}

TEST(KubeApiUrl, LabelRequestPathIsEscaped) {
  EXPECT_EQ(label_request("node1", true).path, "/apis/cilium.io/v2/ciliumnodes/node1");
  EXPECT_EQ(label_request("node1/../../../api/v1/namespaces/kube-system/secrets/x", true).path,
            "/apis/cilium.io/v2/ciliumnodes/"
            "node1%2F..%2F..%2F..%2Fapi%2Fv1%2Fnamespaces%2Fkube-system%2Fsecrets%2Fx");
}

}  // namespace
}  // namespace aim
