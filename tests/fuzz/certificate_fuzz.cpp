// libFuzzer target for certificates (disposal and transfer certificates, as
// certificate.verify checks them): a text body, then "signature: <base64 of
// an Ed25519 signature of the body>\n". The handler needs a store, so this
// target takes the same steps on the same decoders (daemon/common/text's
// base64 and hex, daemon/crypto's Ed25519): the last "signature: " splits
// the document, the rest of its line is base64 of 64 bytes.
//
// The input is tried as a certificate and used as a body to sign.
// Invariants:
//   - base64 and hex: what decodes encodes to text that decodes to the same
//     bytes, and any bytes encode to text that decodes to them;
//   - an input that reads as a certificate verifies under the target's key
//     only if the target signed that body (it did not);
//   - a body signed with the target's key, split as the handler splits it,
//     verifies, and no longer verifies once a byte of the body changes.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "daemon/common/text.hpp"
#include "daemon/crypto/ed25519.hpp"
#include "tests/fuzz/fuzz_util.hpp"

namespace {

namespace crypto = strongroom::crypto;
using strongroom::fuzz::broken;

std::span<const std::uint8_t> bytes(std::string_view s) {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

const crypto::Ed25519Key& key() {
    static const std::array<std::uint8_t, 32> seed = {7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
                                                      7, 7, 7, 7, 7, 9, 9, 9, 9, 9, 9,
                                                      9, 9, 9, 9, 9, 9, 9, 9, 9, 9};
    static const crypto::Ed25519Key k(seed);
    return k;
}

// certificate.verify's reading of a document: the body and the signature.
struct Split {
    std::string_view body;
    crypto::Ed25519Key::Signature signature{};
};
std::optional<Split> split(std::string_view kept) {
    const auto at = kept.rfind("signature: ");
    if (at == std::string_view::npos) {
        return std::nullopt;
    }
    const auto sig = strongroom::from_base64(kept.substr(at + 11, kept.size() - at - 12));
    Split out;
    if (!sig || sig->size() != out.signature.size()) {
        return std::nullopt;
    }
    std::copy(sig->begin(), sig->end(), out.signature.begin());
    out.body = kept.substr(0, at);
    return out;
}

bool verifies(const Split& s) {
    return crypto::Ed25519Key::verify(key().public_key(), bytes(s.body), s.signature);
}

void check_codings(std::string_view text) {
    if (const auto b = strongroom::from_base64(text)) {
        const auto again = strongroom::from_base64(strongroom::to_base64(*b));
        if (!again || *again != *b) {
            broken("fuzz_certificate", "decoded base64 encodes to the same bytes");
        }
    }
    const auto b64 = strongroom::from_base64(strongroom::to_base64(bytes(text)));
    if (!b64 || !std::equal(b64->begin(), b64->end(), bytes(text).begin(), bytes(text).end())) {
        broken("fuzz_certificate", "from_base64(to_base64(b)) == b");
    }
    if (const auto h = strongroom::from_hex(text)) {
        const auto again = strongroom::from_hex(strongroom::to_hex(*h));
        if (!again || *again != *h || h->size() * 2 != text.size()) {
            broken("fuzz_certificate", "decoded hex encodes to the same bytes");
        }
    }
    const auto hex = strongroom::from_hex(strongroom::to_hex(bytes(text)));
    if (!hex || !std::equal(hex->begin(), hex->end(), bytes(text).begin(), bytes(text).end())) {
        broken("fuzz_certificate", "from_hex(to_hex(b)) == b");
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto text = strongroom::fuzz::text_of(data, size);
    check_codings(text);
    if (const auto s = split(text); s && verifies(*s)) {
        broken("fuzz_certificate", "only a body the key signed verifies");
    }
    const std::string body(text);
    const auto sig = key().sign(bytes(body));
    std::string document = body + "signature: " + strongroom::to_base64(sig) + "\n";
    const auto s = split(document);
    if (!s || s->body != body || !verifies(*s)) {
        broken("fuzz_certificate",
               "a signed body, split as certificate.verify splits it, verifies");
    }
    if (!body.empty()) {
        document[size / 2] = static_cast<char>(document[size / 2] ^ 0x01);
        const auto altered = split(document);
        if (altered && verifies(*altered)) {
            broken("fuzz_certificate", "an altered body no longer verifies");
        }
    }
    return 0;
}
