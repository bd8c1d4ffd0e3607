#include "crypto/crypto.hpp"

#include <gtest/gtest.h>

#include "smbsrv/credentials.hpp"
#include "unit/hex_util.hpp"

namespace smbsrv::crypto {
namespace {

using test::bytes_of;
using test::hex;
using test::unhex;

TEST(Crypto, LegacyProviderAvailable) { EXPECT_TRUE(legacy_available()); }

// RFC 1320 appendix A.5.
TEST(Crypto, Md4Rfc1320) {
  EXPECT_EQ(hex(md4({})), "31d6cfe0d16ae931b73c59d7e0c089c0");
  EXPECT_EQ(hex(md4(bytes_of("a"))), "bde52cb31de33e46245e05fbdbd6fb24");
  EXPECT_EQ(hex(md4(bytes_of("abc"))), "a448017aaf21d8525fc10ae87aa6729d");
  EXPECT_EQ(hex(md4(bytes_of("message digest"))), "d9130a8164549fe818874806e1c7014b");
  EXPECT_EQ(hex(md4(bytes_of("abcdefghijklmnopqrstuvwxyz"))), "d79e1c308aa5bbcdeea8ed63df412da9");
}

// RFC 1321 A.5.
TEST(Crypto, Md5Rfc1321) {
  EXPECT_EQ(hex(md5(bytes_of("abc"))), "900150983cd24fb0d6963f7d28e17f72");
}

// RFC 4231 test cases 1, 2 and 3.
TEST(Crypto, HmacSha256Rfc4231) {
  const auto k1 = unhex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b");
  EXPECT_EQ(hex(hmac_sha256(k1, {bytes_of("Hi There")})),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  const auto jefe = bytes_of("Jefe");
  EXPECT_EQ(hex(hmac_sha256(jefe, {bytes_of("what do ya want "), bytes_of("for nothing?")})),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  const std::vector<std::uint8_t> k3(20, 0xaa), d3(50, 0xdd);
  EXPECT_EQ(hex(hmac_sha256(k3, {d3})),
            "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
}

// RFC 4493 section 4, examples 1-4 (the last fed in uneven parts).
TEST(Crypto, AesCmacRfc4493) {
  const auto key = unhex("2b7e151628aed2a6abf7158809cf4f3c");
  const auto m = unhex(
      "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
      "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710");
  const Bytes msg(m);
  EXPECT_EQ(hex(aes_cmac(key, {})), "bb1d6929e95937287fa37d129b756746");
  EXPECT_EQ(hex(aes_cmac(key, {msg.first(16)})), "070a16b46b4d4144f79bdd9dd04a287c");
  EXPECT_EQ(hex(aes_cmac(key, {msg.first(40)})), "dfa66747de9ae63030ca32611497c827");
  EXPECT_EQ(hex(aes_cmac(key, {msg.first(7), msg.subspan(7, 30), msg.subspan(37)})),
            "51f0bebf7e3b9d92fc49741779363cfe");
}

// GCM spec (McGrew/Viega) test case 1: zero key, zero IV, no data: the tag is the GMAC of nothing.
TEST(Crypto, AesGmacEmptyIsGcmTestCase1) {
  const std::vector<std::uint8_t> key(16, 0), iv(12, 0);
  EXPECT_EQ(hex(aes_gmac(key, iv, {})), "58e2fccefa7e3061367f1d57a4e7455a");
}

// No published GMAC-with-AAD vector at hand: GMAC must equal AES-GCM with the data as AAD and
// an empty plaintext (consistency between EVP_MAC GMAC and EVP_CIPHER GCM).
TEST(Crypto, AesGmacMatchesGcmWithAadOnly) {
  const auto key = unhex("feffe9928665731c6d6a8f9467308308");
  const auto iv = unhex("cafebabefacedbaddecaf888");
  const auto aad = bytes_of("some additional data that is authenticated only");
  std::array<std::uint8_t, 16> tag{};
  ASSERT_TRUE(aead_encrypt(Cipher::aes128_gcm, key, iv, aad, {}, tag));
  EXPECT_EQ(hex(aes_gmac(key, iv, {Bytes(aad).first(5), Bytes(aad).subspan(5)})), hex(tag));
}

// GCM spec test cases 2 and 3 (AES-128) and the 256-bit test case 14.
TEST(Crypto, AesGcmKnownAnswers) {
  {
    const std::vector<std::uint8_t> key(16, 0), iv(12, 0);
    std::vector<std::uint8_t> data(16, 0);
    std::array<std::uint8_t, 16> tag{};
    ASSERT_TRUE(aead_encrypt(Cipher::aes128_gcm, key, iv, {}, data, tag));
    EXPECT_EQ(hex(data), "0388dace60b6a392f328c2b971b2fe78");
    EXPECT_EQ(hex(tag), "ab6e47d42cec13bdf53a67b21257bddf");
    ASSERT_TRUE(aead_decrypt(Cipher::aes128_gcm, key, iv, {}, data, tag));
    EXPECT_EQ(data, std::vector<std::uint8_t>(16, 0));
  }
  {
    const std::vector<std::uint8_t> key(32, 0), iv(12, 0);
    std::vector<std::uint8_t> data(16, 0);
    std::array<std::uint8_t, 16> tag{};
    ASSERT_TRUE(aead_encrypt(Cipher::aes256_gcm, key, iv, {}, data, tag));
    EXPECT_EQ(hex(data), "cea7403d4d606b6e074ec5d3baf39d18");
    EXPECT_EQ(hex(tag), "d0d1c8a799996bf0265b98b5d48ab919");
  }
}

// Round trips and tamper checks for all four ciphers (AES-128-CCM/GCM known answers with SMB's
// 11/12-byte nonces are in smb3_encryption_vectors_test.cpp).
TEST(Crypto, AeadRoundTripAndTamper) {
  for (Cipher c : {Cipher::aes128_ccm, Cipher::aes256_ccm, Cipher::aes128_gcm, Cipher::aes256_gcm}) {
    std::vector<std::uint8_t> key(key_length(c));
    for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<std::uint8_t>(i * 7 + 1);
    std::vector<std::uint8_t> nonce(nonce_length(c), 0x42);
    const auto aad = bytes_of("transform header fields");
    const auto plain = bytes_of("The quick brown fox jumps over the lazy dog, twice or more.");
    std::vector<std::uint8_t> data = plain;
    std::array<std::uint8_t, 16> tag{};
    ASSERT_TRUE(aead_encrypt(c, key, nonce, aad, data, tag)) << static_cast<int>(c);
    EXPECT_NE(data, plain);
    std::vector<std::uint8_t> copy = data;
    ASSERT_TRUE(aead_decrypt(c, key, nonce, aad, copy, tag));
    EXPECT_EQ(copy, plain);
    copy = data;
    copy[3] ^= 1;
    EXPECT_FALSE(aead_decrypt(c, key, nonce, aad, copy, tag));
    auto bad_tag = tag;
    bad_tag[0] ^= 1;
    copy = data;
    EXPECT_FALSE(aead_decrypt(c, key, nonce, aad, copy, bad_tag));
    auto bad_aad = aad;
    bad_aad[0] ^= 1;
    copy = data;
    EXPECT_FALSE(aead_decrypt(c, key, nonce, bad_aad, copy, tag));
    // Wrong nonce length and wrong key length are refused.
    std::vector<std::uint8_t> nonce_bad(nonce.size() + 1, 0x42);
    EXPECT_FALSE(aead_encrypt(c, key, nonce_bad, aad, data, tag));
    std::vector<std::uint8_t> key_bad(key.size() + 1, 1);
    EXPECT_FALSE(aead_encrypt(c, key_bad, nonce, aad, data, tag));
    // Empty payload.
    std::array<std::uint8_t, 16> t2{};
    ASSERT_TRUE(aead_encrypt(c, key, nonce, aad, {}, t2));
    EXPECT_TRUE(aead_decrypt(c, key, nonce, aad, {}, t2));
  }
}

// Well-known RC4 vectors ("Key"/"Plaintext", "Wiki"/"pedia") and MS-NLMP 4.2.4.2.3 (the
// EncryptedRandomSessionKey: RC4(SessionBaseKey, 0x55 * 16)).
TEST(Crypto, Rc4) {
  const auto pt = bytes_of("Plaintext");
  std::vector<std::uint8_t> out(pt.size());
  rc4(bytes_of("Key"), pt, out);
  EXPECT_EQ(hex(out), "bbf316e8d940af0ad3");
  out.resize(5);
  rc4(bytes_of("Wiki"), bytes_of("pedia"), out);
  EXPECT_EQ(hex(out), "1021bf0420");
  const auto sbk = unhex("8de40ccadbc14a82f15cb0ad0de95ca3");
  const std::vector<std::uint8_t> random(16, 0x55);
  std::vector<std::uint8_t> enc(16);
  rc4(sbk, random, enc);
  EXPECT_EQ(hex(enc), "c5dad2544fc9799094ce1ce90bc9d03e");
}

// "SMB 2 and SMB 3 security in Windows 10: the anatomy of signing and cryptographic keys",
// appendix: SMB 3.0 first channel, and the second channel's signing key.
TEST(Crypto, KdfSmb30MicrosoftVectors) {
  const auto sk = unhex("7CD451825D0450D235424E44BA6E78CC");
  auto kdf = [&](Bytes key, const char* label, std::size_t ll, const char* ctx, std::size_t cl) {
    return hex(kdf_sp800_108(key, Bytes(reinterpret_cast<const std::uint8_t*>(label), ll),
                             Bytes(reinterpret_cast<const std::uint8_t*>(ctx), cl), 16));
  };
  EXPECT_EQ(kdf(sk, "SMB2AESCMAC", 12, "SmbSign", 8), "0b7e9c5cac36c0f6ea9ab275298cedce");
  // Server's EncryptionKey (ServerOut) / DecryptionKey (ServerIn ); the blog lists them from
  // the client's side: its EncryptionKey FAD2.. is the server's DecryptionKey.
  EXPECT_EQ(kdf(sk, "SMB2AESCCM", 11, "ServerIn ", 10), "fad27796665b313ebb578f388632b4f7");
  EXPECT_EQ(kdf(sk, "SMB2AESCCM", 11, "ServerOut", 10), "b0f0427f7ceb416d1d9dcc0cd4f99447");
  EXPECT_EQ(kdf(sk, "SMB2APP", 8, "SmbRpc", 7), "bb23a4575aa26c721af525af15a87b4f");
  const auto sk2 = unhex("4E01A2B313BCF660CC250BEF021AEDE6");
  EXPECT_EQ(kdf(sk2, "SMB2AESCMAC", 12, "SmbSign", 8), "ba1a17dbbfec349bca105563d598952f");
}

// Same blog, SMB 3.1.1 first channel (context = PreauthIntegrityHashValue).
TEST(Crypto, KdfSmb311MicrosoftVectors) {
  const auto sk = unhex("270E1BA896585EEB7AF3472D3B4C75A7");
  const auto preauth = unhex(
      "0DD13628CC3ED218EF9DF9772D436D0887AB9814BFAE63A80AA845F36909DB7928622DDDAD522D97"
      "51640A459762C5A9D6BB084CBB3CE6BDADEF5D5BCE3C6C01");
  auto kdf = [&](const char* label, std::size_t ll) {
    return hex(kdf_sp800_108(sk, Bytes(reinterpret_cast<const std::uint8_t*>(label), ll), preauth, 16));
  };
  EXPECT_EQ(kdf("SMBSigningKey", 14), "73fe7a9a77bef0bde49c650d8ccb5f76");
  EXPECT_EQ(kdf("SMBC2SCipherKey", 16), "629bcbc54422a0f572b97f45989b6073");
  EXPECT_EQ(kdf("SMBS2CCipherKey", 16), "e2af0dcefac68da71a0dfbd0d1350d74");
  EXPECT_EQ(kdf("SMBAppKey", 10), "6d7ad7954e9ec61e907b4d473dc178ff");
  // A 32-byte output (AES-256 ciphers) has the 16-byte one as a prefix? No: L differs, so the
  // output must differ. Just check the length and that it is not the 16-byte key extended.
  const auto k32 = kdf_sp800_108(sk, Bytes(reinterpret_cast<const std::uint8_t*>("SMBSigningKey"), 14), preauth, 32);
  ASSERT_EQ(k32.size(), 32u);
  EXPECT_NE(hex(Bytes(k32).first(16)), "73fe7a9a77bef0bde49c650d8ccb5f76");
}

// Same blog: the first preauth-integrity step (SHA-512 of zeros || NEGOTIATE request).
TEST(Crypto, Sha512PreauthFirstStep) {
  const std::vector<std::uint8_t> zero(64, 0);
  const auto neg = unhex(
      "FE534D4240000100000000000000800000000000000000000100000000000000FFFE000000000000"
      "00000000000000000000000000000000000000000000000024000500000000003F000000ECD86F32"
      "6276024F9F7752B89BB33F3A70000000020000000202100200030203110300000100260000000000"
      "010020000100FA49E6578F1F3A9F4CD3E9CC14A67AA884B3D05844E0E5A118225C15887F32FF0000"
      "0200060000000000020002000100");
  EXPECT_EQ(hex(sha512({zero, neg})),
            "dd94efc5321bb618a2e208ba8920d2f422992526947a409b5037de1e0fe8c7362b8c47122594cde0"
            "ce26aa9dfc8bcdbde0621957672623351a7540f1e54a0426");
}

// Same blog: the final, signed SESSION_SETUP response of the 3.1.1 example is signed with
// AES-CMAC under SigningKey 73FE...; its signature field holds EBE146DA...
TEST(Crypto, Smb2SignatureCmacMicrosoftExample) {
  const auto key = unhex("73FE7A9A77BEF0BDE49C650D8CCB5F76");
  auto msg = unhex(
      "FE534D4240000100000000000100800009000000000000000300000000000000FFFE000000000000"
      "1900000000100000EBE146DA120BA25FC3376A49DFE31BC10900000048001D00A11B3019A0030A01"
      "00A3120410010000003B453CDC3524164200000000");
  EXPECT_EQ(hex(smb2_signature(SigningAlgorithm::aes_cmac, key, msg)), "ebe146da120ba25fc3376a49dfe31bc1");
  EXPECT_TRUE(smb2_verify(SigningAlgorithm::aes_cmac, key, msg));
  // The signature field's content does not matter to the computation; sign restores it.
  std::fill(msg.begin() + 48, msg.begin() + 64, 0xEE);
  EXPECT_FALSE(smb2_verify(SigningAlgorithm::aes_cmac, key, msg));
  smb2_sign(SigningAlgorithm::aes_cmac, key, msg);
  EXPECT_TRUE(smb2_verify(SigningAlgorithm::aes_cmac, key, msg));
  msg[70] ^= 1;
  EXPECT_FALSE(smb2_verify(SigningAlgorithm::aes_cmac, key, msg));
}

std::vector<std::uint8_t> sample_message(std::uint16_t command, std::uint32_t flags, std::uint64_t mid) {
  std::vector<std::uint8_t> m(64 + 24, 0);
  m[0] = 0xFE; m[1] = 'S'; m[2] = 'M'; m[3] = 'B'; m[4] = 64;
  m[12] = static_cast<std::uint8_t>(command);
  m[13] = static_cast<std::uint8_t>(command >> 8);
  for (int i = 0; i < 4; ++i) m[16 + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(flags >> (8 * i));
  for (int i = 0; i < 8; ++i) m[24 + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(mid >> (8 * i));
  for (std::size_t i = 64; i < m.size(); ++i) m[i] = static_cast<std::uint8_t>(i);
  return m;
}

// HMAC-SHA256 signing = first 16 bytes of HMAC over the message with a zeroed signature.
TEST(Crypto, Smb2SignatureHmacMatchesDefinition) {
  const auto key = unhex("000102030405060708090a0b0c0d0e0f");
  auto m = sample_message(5, 0x8, 7);
  std::fill(m.begin() + 48, m.begin() + 64, 0x77);
  auto zeroed = m;
  std::fill(zeroed.begin() + 48, zeroed.begin() + 64, 0);
  const auto full = hmac_sha256(key, {zeroed});
  EXPECT_EQ(hex(smb2_signature(SigningAlgorithm::hmac_sha256, key, m)), hex(Bytes(full).first(16)));
  smb2_sign(SigningAlgorithm::hmac_sha256, key, m);
  EXPECT_TRUE(smb2_verify(SigningAlgorithm::hmac_sha256, key, m));
  EXPECT_FALSE(smb2_verify(SigningAlgorithm::hmac_sha256, key, Bytes(m).first(63)));
}

// GMAC signing: nonce = MessageId || role bits, as spelled out in MS-SMB2 3.1.4.1.
TEST(Crypto, Smb2SignatureGmacNonce) {
  const auto key = unhex("000102030405060708090a0b0c0d0e0f");
  for (std::uint16_t cmd : {std::uint16_t{8}, std::uint16_t{0x0C}}) {
    for (std::uint32_t flags : {0x0u, 0x1u, 0x9u}) {
      auto m = sample_message(cmd, flags, 0x1122334455667788ull);
      auto zeroed = m;
      std::fill(zeroed.begin() + 48, zeroed.begin() + 64, 0);
      std::vector<std::uint8_t> nonce = unhex("8877665544332211");
      std::uint8_t role = static_cast<std::uint8_t>((flags & 1) | (cmd == 0x0C ? 2 : 0));
      nonce.insert(nonce.end(), {role, 0, 0, 0});
      EXPECT_EQ(hex(smb2_signature(SigningAlgorithm::aes_gmac, key, m)), hex(aes_gmac(key, nonce, {zeroed})));
      smb2_sign(SigningAlgorithm::aes_gmac, key, m);
      EXPECT_TRUE(smb2_verify(SigningAlgorithm::aes_gmac, key, m));
      m[17] ^= 0x10;  // flags are authenticated data too
      EXPECT_FALSE(smb2_verify(SigningAlgorithm::aes_gmac, key, m));
    }
  }
}

TEST(Crypto, EqualCtAndRandom) {
  const auto a = unhex("0102"), b = unhex("0102"), c = unhex("0103"), d = unhex("01");
  EXPECT_TRUE(equal_ct(a, b));
  EXPECT_FALSE(equal_ct(a, c));
  EXPECT_FALSE(equal_ct(a, d));
  EXPECT_TRUE(equal_ct({}, {}));
  std::array<std::uint8_t, 32> r1{}, r2{};
  random_bytes(r1);
  random_bytes(r2);
  EXPECT_NE(r1, r2);
}

// MS-NLMP 4.2.4.1.1 (and 3.3.1's NT hash of "Password").
TEST(Credentials, NtHashAndStore) {
  EXPECT_EQ(hex(nt_hash_of_password("Password")), "a4f49c406510bdcab6824ee7c30fd852");
  InMemoryCredentialStore store;
  store.add_user("Alice", "Password");
  auto h = store.nt_hash("aLICE", "ANYDOMAIN");
  ASSERT_TRUE(h.has_value());
  EXPECT_EQ(hex(*h), "a4f49c406510bdcab6824ee7c30fd852");
  EXPECT_FALSE(store.nt_hash("bob", "").has_value());
  NtHash raw{};
  raw[0] = 1;
  store.add_user_hash("BOB", raw);
  EXPECT_EQ(store.nt_hash("bob", ""), raw);
}

}  // namespace
}  // namespace smbsrv::crypto
