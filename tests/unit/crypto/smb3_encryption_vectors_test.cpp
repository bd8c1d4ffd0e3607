// Known-answer tests for SMB 3.x encryption, from Microsoft's Open Specifications blog posts:
//  [A] "Encryption in SMB 3.0: A protocol perspective" (Edgar Olougouna, 2012-10-05), test vector
//      (Windows 8 client, Windows Server 2012, dialect 3.0, AES-128-CCM; WRITE and READ of
//      "Smb3 encryption testing").
//  [B] "SMB 3.1.1 Encryption in Windows 10" (Edgar Olougouna, 2015-09-09), Appendix A.1
//      (AES-128-GCM) and A.2 (AES-128-CCM), same WRITE/READ exchange at dialect 3.1.1.
// The blogs list keys from the CLIENT's side: the client's EncryptionKey is the server's
// DecryptionKey (3.0 "ServerIn ", 3.1.1 "SMBC2SCipherKey"), the client's DecryptionKey is the
// server's EncryptionKey ("ServerOut" / "SMBS2CCipherKey").
//
// Each transformed message is checked three ways: decrypting it gives the blog's plaintext;
// seal_message() (the function the engine encrypts with) rebuilds it byte for byte from the
// blog's key, nonce, SessionId and plaintext; and changing any byte of ciphertext, tag or AAD
// makes open_message() (the engine's decrypt path) refuse it.
//
// No published vector exists for AES-256-CCM/GCM in SMB: those are covered by the RFC/NIST
// AES-256-GCM vector in crypto_test.cpp, the L=256 KDF check below, and engine round trips with
// a client-side key schedule written independently (tests/unit/engine/engine_encryption_test.cpp).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "codec/messages.hpp"
#include "crypto/crypto.hpp"
#include "engine/encryption.hpp"
#include "unit/hex_util.hpp"

namespace smbsrv {
namespace {

using crypto::Cipher;
using test::hex;
using test::unhex;
using Vec = std::vector<std::uint8_t>;

Vec label(std::string_view l) { return Vec(l.begin(), l.end() + 1); }  // with the trailing NUL

std::string kdf16(const Vec& key, std::string_view l, const Vec& ctx) {
  return hex(crypto::kdf_sp800_108(key, label(l), ctx, 16));
}

struct Transformed {
  Cipher cipher;
  std::string key;          // the sender's EncryptionKey
  std::string transformed;  // the whole transformed message as sent
  std::string plain;        // the SMB2 message inside
  std::uint64_t session_id;
};

void check_transformed(const Transformed& v) {
  SCOPED_TRACE(v.transformed.substr(0, 48));
  const Vec key = unhex(v.key), frame = unhex(v.transformed), plain = unhex(v.plain);
  ASSERT_EQ(frame.size(), codec::kTransformHeaderSize + plain.size());
  auto t = codec::decode_transform_header(frame);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->session_id, v.session_id);
  EXPECT_EQ(t->flags, 0x0001);
  EXPECT_EQ(t->original_message_size, plain.size());

  // Decrypt (the engine's receive path).
  auto opened = engine::open_message(v.cipher, key, *t, frame);
  ASSERT_TRUE(opened);
  EXPECT_EQ(hex(*opened), hex(plain));

  // Encrypt (the engine's send path) with the blog's nonce: identical bytes.
  auto sealed = engine::seal_message(v.cipher, key, v.session_id, t->nonce, plain);
  ASSERT_TRUE(sealed);
  EXPECT_EQ(hex(*sealed), hex(frame));

  // The same through the bare AEAD interface: AAD = transform header bytes 20..51.
  Vec data(frame.begin() + codec::kTransformHeaderSize, frame.end());
  std::array<std::uint8_t, 16> tag{};
  Vec p = plain;
  ASSERT_TRUE(crypto::aead_encrypt(v.cipher, key, std::span(t->nonce).first(crypto::nonce_length(v.cipher)),
                                   std::span(frame).subspan(20, 32), p, tag));
  EXPECT_EQ(hex(p), hex(data));
  EXPECT_EQ(hex(tag), hex(std::span(frame).subspan(4, 16)));

  // Any changed byte of the signature (4..19), the AAD (20..51) or the ciphertext is refused.
  for (std::size_t at : {std::size_t{4}, std::size_t{19}, std::size_t{20}, std::size_t{30}, std::size_t{36},
                         std::size_t{42}, std::size_t{44}, std::size_t{51}, std::size_t{52}, frame.size() - 1}) {
    Vec bad = frame;
    bad[at] ^= 0x01;
    auto bt = codec::decode_transform_header(bad);
    if (!bt) continue;  // OriginalMessageSize no longer matches: refused before decryption
    EXPECT_FALSE(engine::open_message(v.cipher, key, *bt, bad)) << "byte " << at;
  }
  // The wrong key (the other direction's) is refused too.
  Vec other = key;
  other[0] ^= 0x80;
  EXPECT_FALSE(engine::open_message(v.cipher, other, *t, frame));
}

// ---- [A] SMB 3.0, AES-128-CCM ------------------------------------------------------------------
constexpr std::uint64_t kSid30 = 0x8e40014000011ull;
const char* const kC2S30 = "261B72350558F2E9DCF613070383EDBF";  // client EncryptionKey = server DecryptionKey
const char* const kS2C30 = "8FE2B57EC34D2DB5B1A9727F526BBDB5";  // server EncryptionKey = client DecryptionKey

TEST(Smb3EncryptionVectors, Smb30KeyDerivation) {
  const Vec sk = unhex("B4546771B515F766A86735532DD6C4F0");
  EXPECT_EQ(kdf16(sk, "SMB2AESCCM", label("ServerIn ")), hex(unhex(kC2S30)));
  EXPECT_EQ(kdf16(sk, "SMB2AESCCM", label("ServerOut")), hex(unhex(kS2C30)));
  EXPECT_EQ(kdf16(sk, "SMB2AESCMAC", label("SmbSign")), "f773cd23c18fd1e08ee510cada7cf852");
  EXPECT_EQ(kdf16(sk, "SMB2APP", label("SmbRpc")), "77432f808ce99156b5bc6a3676d730d1");
}

TEST(Smb3EncryptionVectors, Smb30CcmWriteRequest) {
  // The blog also lists the AAD and the 11-byte nonce separately; they must match the header.
  const Vec frame = unhex(
      "FD534D4281A286535415445DAE393921E44FA42E66E69A111892584FB5ED524A"
      "744DA3EE87000000000001001100001400E4080025C8FEE16605A437832D1CD5"
      "2DA9F4645333482A175FE5384563F45FCDAFAEF38BC62BA4D5C62897996625A4"
      "4C29BE5658DE2E6117585779E7B59FFD971278D08580D7FA899E410E910EABF5"
      "AA1DB43050B33B49182637759AC15D84BFCDF5B6B238993C0F4CF4D6012023F6"
      "C627297075D84B7803912D0A9639634453595EF3E33FFE4E7AC2AB");
  EXPECT_EQ(hex(std::span(frame).subspan(20, 32)),
            hex(unhex("66E69A111892584FB5ED524A744DA3EE87000000000001001100001400E40800")));
  EXPECT_EQ(hex(std::span(frame).subspan(20, 11)), hex(unhex("66E69A111892584FB5ED52")));
  check_transformed({Cipher::aes128_ccm, kC2S30, hex(frame),
                     "FE534D4240000100000000000900400008000000000000000400000000000000"
                     "FFFE0000010000001100001400E4080000000000000000000000000000000000"
                     "3100700017000000000000000000000015010000390000020100000039020000"
                     "00000000000000007000000000000000536D623320656E6372797074696F6E20"
                     "74657374696E67",
                     kSid30});
}

TEST(Smb3EncryptionVectors, Smb30CcmWriteResponse) {
  check_transformed({Cipher::aes128_ccm, kS2C30,
                     "FD534D42A6015530A18F6D9AFFE22AFAE8E66484860000000000000011000014"
                     "00E4080050000000000001001100001400E40800DBF46435C5F14169293CE079"
                     "E344479BF670227E49873F458672C3098DAC467DD5809F369D67409166515787"
                     "1483E01F7BECD02064EAC3E235F913668BBC2F097980D4B378F1993EFF6E60D1"
                     "77309E5B",
                     "FE534D4240000100000000000900210009000000000000000400000000000000"
                     "FFFE0000010000001100001400E4080000000000000000000000000000000000"
                     "11000000170000000000000000000000",
                     kSid30});
}

TEST(Smb3EncryptionVectors, Smb30CcmReadRequestAndResponse) {
  check_transformed({Cipher::aes128_ccm, kC2S30,
                     "FD534D42E93601498B76D6F7A72D5EF9B6C79FAFA5123A25F983E245983F413B"
                     "8B429AF271000000000001001100001400E408009A464F709AA663F8C2FC3907"
                     "D63CBF6F98B1E3DD649ED366009FD0B40A365224718E5440E053F6E01AE462FD"
                     "B721BF91C3A6E52E14F9EFF005F445761289FF1272908B52754C8FCB949F228A"
                     "C104A66204289A205BCBC47509D04AF9A907002B96863358B3B7CBA5E3779300"
                     "74FCDF3550",
                     "FE534D4240000100000000000800400008000000000000000500000000000000"
                     "FFFE0000010000001100001400E4080000000000000000000000000000000000"
                     "3100000017000000000000000000000015010000390000020100000039020000"
                     "0000000000000000000000000000000000",
                     kSid30});
  check_transformed({Cipher::aes128_ccm, kS2C30,
                     "FD534D42ABD518B68C2F04D7879F482B689EB83F870000000000000011000014"
                     "00E4080067000000000001001100001400E40800493D6FE2BDBEB435CF5F5469"
                     "70C7BB57BF20E713C75A3D045507E0D68E5C0346659D6FFB8AC1504A786CA2BB"
                     "89C9E7FE4F313E910A04180D2D0EA7DF636329E5A3285984500EF86FE9D55DA4"
                     "FAB9531CFDD4C551D47F3C73124BB4590A45052B694048B991CCF5",
                     "FE534D4240000100000000000800210009000000000000000500000000000000"
                     "FFFE0000010000001100001400E4080000000000000000000000000000000000"
                     "11005000170000000000000000000000536D623320656E6372797074696F6E20"
                     "74657374696E67",
                     kSid30});
}

// ---- [B] A.1: SMB 3.1.1, AES-128-GCM ------------------------------------------------------------
constexpr std::uint64_t kSidGcm = 0x100000000025ull;
const char* const kC2SGcm = "A2F5E80E5D59103034F32E52F698E5EC";
const char* const kS2CGcm = "748C50868C90F302962A5C35F5F9A8BF";

TEST(Smb3EncryptionVectors, Smb311GcmKeyDerivation) {
  const Vec sk = unhex("419FDDF34C1E001909D362AE7FB6AF79");
  const Vec preauth = unhex(
      "B23F3CBFD69487D9832B79B1594A367CDD950909B774C3A4C412B4FCEA9EDDDBA7DB256BA2EA30E9"
      "77F11F9B113247578E0E915C6D2A513B8F2FCA5707DC8770");
  EXPECT_EQ(kdf16(sk, "SMBC2SCipherKey", preauth), hex(unhex(kC2SGcm)));
  EXPECT_EQ(kdf16(sk, "SMBS2CCipherKey", preauth), hex(unhex(kS2CGcm)));
  EXPECT_EQ(kdf16(sk, "SMBSigningKey", preauth), "8765949dfeaee105ce9118b45be988f0");
  EXPECT_EQ(kdf16(sk, "SMBAppKey", preauth), "099d610789fbe82055b313601c3e8cc4");
}

TEST(Smb3EncryptionVectors, Smb311GcmWrite) {
  check_transformed({Cipher::aes128_gcm, kC2SGcm,
                     "FD534D42BD73D97D2BC9001BCAFAC0FDFF5FEEBCC7D6822D269CAF48904C664C0000000087000000"
                     "0000010025000000001000006ECDD2A7AFC7B47763057A041B8FD4DAFFE990B70C9E09D36C084E02"
                     "D14EF247F8BDE38ACF6256F8B1D3B56F77FBDEB312FEA5E92CBCC1ED8FB2EBBFAA75E49A4A394BB4"
                     "4576545567C24D4C014D47C9FBDFDAFD2C4F9B72F8D256452620A299F48E29E53D6B61D1C13A19E9"
                     "1AF013F00D17E3ABC2FC3D36C8C1B6B93973253852DBD442E46EE8",
                     "FE534D4240000100000000000900010008000000000000000500000000000000FFFE000001000000"
                     "25000000001000000000000000000000000000000000000031007000170000000000000000000000"
                     "0600000004000000010000000400000000000000000000007000000000000000536D623320656E63"
                     "72797074696F6E2074657374696E67",
                     kSidGcm});
  check_transformed({Cipher::aes128_gcm, kS2CGcm,
                     "FD534D42ACBE1CB7ED343ADF1725EF144D90D4B0E06831DD2E8EB7B4000000000000000050000000"
                     "00000100250000000010000026BBBF949983A6C1C796559D0F2C510CB651D1F7B6AC8DED32A2A0B8"
                     "F2D793A815C6F6B848D69767A215841A42D400AE6DDB5F0B44173A014973321FDD7950DA6179159B"
                     "82E03C9E18A050FF0EA1C967",
                     "FE534D4240000100000000000900010001000000000000000500000000000000FFFE000001000000"
                     "25000000001000000000000000000000000000000000000011000000170000000000000000000000",
                     kSidGcm});
}

TEST(Smb3EncryptionVectors, Smb311GcmRead) {
  check_transformed({Cipher::aes128_gcm, kC2SGcm,
                     "FD534D426DAC0B6FD85A3ED42BB917DA38FE0386D7AA8C6D36859243B715E0A60000000071000000"
                     "00000100250000000010000088A47BF09CA3C3141CDD7306BE9D9475AB24FCCB833D77461C041F8F"
                     "B983D0C188F0729272B31D9D3D0DC6B687C069EEE0CC8EACA2C536D019ACC9E185D1EB630E0FCB79"
                     "3EEECEB06D82A1D77706E700DBEBFB4FEB54D7AD2D97E7288804F90757FE4D08D6A84A3FF433E745"
                     "1E768E4699",
                     "FE534D4240000100000000000800010008000000000000000600000000000000FFFE000001000000"
                     "25000000001000000000000000000000000000000000000031000000170000000000000000000000"
                     "060000000400000001000000040000000000000000000000000000000000000000",
                     kSidGcm});
  check_transformed({Cipher::aes128_gcm, kS2CGcm,
                     "FD534D427F714B3B9D8FA1198584E71C2BAA1CB6E16831DD2E8EB7B4000000000000000067000000"
                     "000001002500000000100000FECEDF4D03BB11A6CC5D8A53BE33D6D8701986342B4197D306E16F9C"
                     "BB218E92F7F8281F51CE68BB85A20D87DE90EBBF80538066D1C37513C0A58D70936D537B624F5500"
                     "202A612B6CD30D448A82791A0B2E049ED512AFAEFB06E98AB3D6F931D7D50DB2DBD36A",
                     "FE534D4240000100000000000800010001000000000000000600000000000000FFFE000001000000"
                     "25000000001000000000000000000000000000000000000011005000170000000000000000000000"
                     "536D623320656E6372797074696F6E2074657374696E67",
                     kSidGcm});
}

// ---- [B] A.2: SMB 3.1.1, AES-128-CCM ------------------------------------------------------------
constexpr std::uint64_t kSidCcm = 0x100000000021ull;
const char* const kC2SCcm = "DFAAA31AAE40A2485D47AC4DF09FDA1D";
const char* const kS2CCcm = "95C544AEF6072680DA1CE49A68A97FA6";

TEST(Smb3EncryptionVectors, Smb311CcmKeyDerivation) {
  const Vec sk = unhex("07B7F69C1E2581662DF6987E88F9E891");
  const Vec preauth = unhex(
      "DECF98A420718718F22090D3580FCC5E484BD310FA1268210C6E86335A8891E767F5BCD99FA5A785"
      "9D665AD07A73EA94E1BCDB7CFA69A6962A28A244138340B1");
  EXPECT_EQ(kdf16(sk, "SMBC2SCipherKey", preauth), hex(unhex(kC2SCcm)));
  EXPECT_EQ(kdf16(sk, "SMBS2CCipherKey", preauth), hex(unhex(kS2CCcm)));
  EXPECT_EQ(kdf16(sk, "SMBSigningKey", preauth), "3dcc82c5795ae27f383242761078c59b");
  EXPECT_EQ(kdf16(sk, "SMBAppKey", preauth), "7a2f0f73ec2d530879b2913bbfce242f");
}

TEST(Smb3EncryptionVectors, Smb311CcmWrite) {
  check_transformed({Cipher::aes128_ccm, kC2SCcm,
                     "FD534D42E89551D666DAB8993488F5A97103116C9F6F1EAAD7E9F24AACD38F000000000087000000"
                     "00000100210000000010000056A74778199A9D2B6E9C3A376FD88D27680694FED253A313BEB07381"
                     "AE8689F973ACDB8D716E4477803BCE53A92E1B81FA3E965AD9AF2C89C08CE66A344664453B8FC881"
                     "18EDC9814CF58E92AA465E6EFB09958A9FDAD96FBD55B36A710C30D5E7C64AD7B9449F9F17EDD024"
                     "FE8BA79154F340A82740D1D5180C69B0A2DE6A4BA893BD55D3210E",
                     "FE534D4240000100000000000900010008000000000000000500000000000000FFFE000001000000"
                     "21000000001000000000000000000000000000000000000031007000170000000000000000000000"
                     "0500000004000000010000000400000000000000000000007000000000000000536D623320656E63"
                     "72797074696F6E2074657374696E67",
                     kSidCcm});
  check_transformed({Cipher::aes128_ccm, kS2CCcm,
                     "FD534D42DD33EC41A927DD51476FE887C2D3C136D96831DD2E8EB7B4000000000000000050000000"
                     "000001002100000000100000F783157E0F6F1C055D746753CA16D20C21088E2A67564E056C2F68A7"
                     "F14F226C3BD809B7A2D52E5FE4ECF49821BC6001733430CF174E2764B3CCB213AAD8BB9FBAF6C15E"
                     "13D9120965390E004A96A3F7",
                     "FE534D4240000100000000000900010001000000000000000500000000000000FFFE000001000000"
                     "21000000001000000000000000000000000000000000000011000000170000000000000000000000",
                     kSidCcm});
}

TEST(Smb3EncryptionVectors, Smb311CcmRead) {
  check_transformed({Cipher::aes128_ccm, kC2SCcm,
                     "FD534D4235BF9600C841F0CDA9BD1BC3727B7E36A0F92E964EDC3049B86E19000000000071000000"
                     "000001002100000000100000C4CCD3EB483A0638E69C99E391E7F64BCC10D6BEE46FEEA258C4BCAF"
                     "792CB5A6E69283924081806DAB64827E9D14A5345D5221AB6DAFCB0E89FC2606B63D92163F4F6C93"
                     "D1213D86ABF123B93EAD3AEF9A3471EFD68A423A00A6E0064D9AE3C842EFFFAD236A3BF25D37F4CD"
                     "054C97DE18",
                     "FE534D4240000100000000000800010008000000000000000600000000000000FFFE000001000000"
                     "21000000001000000000000000000000000000000000000031000000170000000000000000000000"
                     "050000000400000001000000040000000000000000000000000000000000000000",
                     kSidCcm});
  check_transformed({Cipher::aes128_ccm, kS2CCcm,
                     "FD534D42E241A13C7E1EE42ECF1FD69F3B8668C6DA6831DD2E8EB7B4000000000000000067000000"
                     "00000100210000000010000015D67234FC8358D7BA1BF037ABC8EFD41A0A8F9BB04B16DEB1E85606"
                     "BD8C2770823FE6239A286CB3E3D5762ABBD53FD8DE11ED491FE905E146A8FFCE09414AB741103D63"
                     "7E28B19C6BA759B399DCC21FAE24CF2A455A13B215FC2857ABB513927F9F271D1C208B",
                     "FE534D4240000100000000000800010001000000000000000600000000000000FFFE000001000000"
                     "21000000001000000000000000000000000000000000000011005000170000000000000000000000"
                     "536D623320656E6372797074696F6E2074657374696E67",
                     kSidCcm});
}

// ---- AES-256 key length (no published SMB vector) -----------------------------------------------
// MS-SMB2 3.3.5.5.3: with AES-256-CCM/GCM the EncryptionKey/DecryptionKey are 32 bytes, derived
// with L = 256 from Session.FullSessionKey (the whole GSS key), while signing still uses the
// 16-byte Session.SessionKey. NTLM's session key is exactly 16 bytes, so for the NTLM-only
// authenticator of this server FullSessionKey == SessionKey. What is pinned here: the KDF's L
// field is part of the PRF input, so the 32-byte key is not the 16-byte key extended; and the
// 32-byte output is exactly the first SP800-108 block (i = 1, L = 0x00000100), recomputed here
// from the definition with hmac_sha256. The engine side (derive_keys with a 32-byte key length
// for AES-256 ciphers) is checked by engine round trips in engine_encryption_test.cpp.
TEST(Smb3EncryptionVectors, Aes256KeysUseL256) {
  const Vec sk = unhex("419FDDF34C1E001909D362AE7FB6AF79");
  const Vec preauth = unhex(
      "B23F3CBFD69487D9832B79B1594A367CDD950909B774C3A4C412B4FCEA9EDDDBA7DB256BA2EA30E9"
      "77F11F9B113247578E0E915C6D2A513B8F2FCA5707DC8770");
  for (std::string_view l : {"SMBC2SCipherKey", "SMBS2CCipherKey"}) {
    const auto k32 = crypto::kdf_sp800_108(sk, label(l), preauth, 32);
    ASSERT_EQ(k32.size(), 32u);
    EXPECT_NE(hex(std::span(k32).first(16)), kdf16(sk, l, preauth));
    // SP800-108 counter mode, r = 32: K(1) = HMAC(Ki, [1]_32 || Label || 0x00 || Context || [L]_32).
    const Vec i1 = {0, 0, 0, 1}, sep = {0}, l256 = {0, 0, 1, 0};
    const auto block = crypto::hmac_sha256(sk, {i1, label(l), sep, preauth, l256});
    EXPECT_EQ(hex(k32), hex(block));
    EXPECT_EQ(crypto::key_length(Cipher::aes256_gcm), 32u);
    EXPECT_EQ(crypto::key_length(Cipher::aes256_ccm), 32u);
  }
}

// ---- the engine's nonce schedule ----------------------------------------------------------------
TEST(Smb3EncryptionVectors, NonceLayout) {
  const std::array<std::uint8_t, 4> salt{0xA1, 0xB2, 0xC3, 0xD4};
  const auto ccm = engine::encryption_nonce(Cipher::aes128_ccm, 0x0102030405060708ull, salt);
  EXPECT_EQ(hex(ccm), "0807060504030201a1b2c30000000000");  // 11 bytes used, 5 reserved zero
  const auto gcm = engine::encryption_nonce(Cipher::aes256_gcm, 1, salt);
  EXPECT_EQ(hex(gcm), "0100000000000000a1b2c3d400000000");  // 12 bytes used, 4 reserved zero
  std::atomic<std::uint64_t> c{~std::uint64_t{0} - 1};
  EXPECT_EQ(engine::next_nonce_counter(c), ~std::uint64_t{0} - 1);
  EXPECT_FALSE(engine::next_nonce_counter(c));  // exhausted: refuses rather than wrapping
  EXPECT_FALSE(engine::next_nonce_counter(c));
}

}  // namespace
}  // namespace smbsrv
