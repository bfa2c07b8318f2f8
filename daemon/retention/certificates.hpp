// A destruction or transfer certificate checked against the register (DESIGN
// §2 rule 10): the file is the one kept, the kept one's signature verifies,
// and what it certifies is still so: every record it names, and every one
// the register puts in its batch, is in the register, destroyed (or
// transferred), with neither key nor content.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/common/error.hpp"
#include "daemon/common/states.hpp"
#include "daemon/crypto/ed25519.hpp"
#include "daemon/store/connection.hpp"

namespace strongroom::retention {

// Whether this strongroom's key (current or retired) signed body.
using SignatureCheck =
    std::function<bool(std::string_view body, const crypto::Ed25519Key::Signature& signature)>;

struct CertificateCheck {
    bool matches_register = false;          // the file's SHA-256 is the kept certificate's
    bool register_signature_valid = false;  // the kept certificate's signature
    std::size_t records = 0;                // named in it
    std::size_t records_disposed = 0;       // of those, gone as it says
    std::vector<std::string> problems;      // empty: valid
};

// Checks the certificate of a batch against the SHA-256 (hex) of a file
// someone holds. Refused (not_found) for no such batch, (conflict) for one
// not done yet.
Result<CertificateCheck> check_certificate(store::Connection& conn, std::int64_t batch,
                                           BatchKind kind, std::string_view file_sha256,
                                           const SignatureCheck& signed_here);

}  // namespace strongroom::retention
