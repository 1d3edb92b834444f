// TLS: bolt+ssc encrypts without verifying, bolt+s verifies the certificate
// chain and the host name (system trust store, or a CA file).
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "bolt/driver.h"
#include "fakes/bolt_stub.h"

namespace taskexec::bolt {
namespace {

using testing::BoltScript;
using testing::BoltStub;

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(testing::MakeSelfSignedCert(&cert_, &key_));
    ASSERT_TRUE(stub_.EnableTls(cert_, key_));
  }
  void TearDown() override {
    if (!ca_file_.empty()) std::remove(ca_file_.c_str());
  }
  Status Verify(const std::string& uri, const std::string& ca_file = "") {
    DriverConfig c;
    c.uri = uri;
    c.ca_file = ca_file;
    c.io_timeout_ms = 20000;
    std::unique_ptr<Driver> d;
    if (Status s = Driver::Create(c, &d); !s.ok()) return s;
    ServerInfo info;
    Status s = d->VerifyConnectivity(&info);
    if (s.ok()) version_ = info.version;
    return s;
  }
  std::string WriteCa() {
    ca_file_ = ::testing::TempDir() + "bolt_tls_ca_" + std::to_string(stub_.port()) + ".pem";
    std::ofstream(ca_file_) << cert_;
    return ca_file_;
  }
  BoltStub stub_;
  std::string cert_, key_, ca_file_;
  Version version_;
};

TEST_F(TlsTest, SelfSignedIsAcceptedWithSsc) {
  stub_.AddScript(BoltScript().Handshake({5, 4}).HelloLogon({5, 4}));
  Status s = Verify("bolt+ssc://127.0.0.1:" + std::to_string(stub_.port()));
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(version_, (Version{5, 4}));
  ASSERT_TRUE(stub_.WaitDone());
  EXPECT_TRUE(stub_.errors().empty()) << stub_.errors()[0];
}

TEST_F(TlsTest, SelfSignedIsRefusedWhenVerifying) {
  stub_.AddScript(BoltScript().Handshake({5, 4}));
  Status s = Verify("bolt+s://127.0.0.1:" + std::to_string(stub_.port()));
  EXPECT_TRUE(s.IsUnavailable()) << s.ToString();
  EXPECT_NE(s.message().find("certificate"), std::string::npos) << s.ToString();
  ASSERT_TRUE(stub_.WaitDone());
}

TEST_F(TlsTest, VerifiesAgainstAGivenCa) {
  stub_.AddScript(BoltScript().Handshake({5, 4}).HelloLogon({5, 4}));
  Status s = Verify("bolt+s://127.0.0.1:" + std::to_string(stub_.port()), WriteCa());
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_TRUE(stub_.WaitDone());
  EXPECT_TRUE(stub_.errors().empty()) << stub_.errors()[0];
}

TEST_F(TlsTest, RefusesACertificateForAnotherHost) {
  // Trusted, but issued for other.example only.
  ASSERT_TRUE(testing::MakeSelfSignedCert(&cert_, &key_, "DNS:other.example"));
  ASSERT_TRUE(stub_.EnableTls(cert_, key_));
  stub_.AddScript(BoltScript().Handshake({5, 4}));
  Status s = Verify("bolt+s://127.0.0.1:" + std::to_string(stub_.port()), WriteCa());
  EXPECT_TRUE(s.IsUnavailable()) << s.ToString();
  EXPECT_NE(s.message().find("certificate"), std::string::npos) << s.ToString();
  ASSERT_TRUE(stub_.WaitDone());
}

TEST(TlsConfig, CaFileNeedsATlsScheme) {
  DriverConfig c;
  c.uri = "bolt://127.0.0.1:7687";
  c.ca_file = "/etc/ssl/certs/ca-certificates.crt";
  std::unique_ptr<Driver> d;
  EXPECT_TRUE(Driver::Create(c, &d).IsInvalidArgument());
}

}  // namespace
}  // namespace taskexec::bolt
