// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice A proven range of inbox entries: the public values the guest commits
///         (docs/PROTOCOL.md section 14). `inboxEnd` is exclusive.
struct BatchHeader {
    bytes32 prevStateRoot;
    bytes32 newStateRoot;
    uint64 inboxStart;
    uint64 inboxEnd;
    bytes32 inboxStartAcc;
    bytes32 inboxEndAcc;
    bytes32 withdrawalsRoot;
    bytes32 blobsHash;
}

/// @notice The opening of one blob of a proven range at its challenge point (docs/PROTOCOL.md
///         section 13): `y = p(z)` for the blob committed to by `commitment`, whose versioned hash
///         is `versionedHash`, shown by the 48-byte KZG `proof`.
struct BlobOpening {
    bytes32 versionedHash;
    bytes32 z;
    bytes32 y;
    bytes commitment;
    bytes proof;
}

/// @title PublicValues
/// @notice The byte encoding of a `BatchHeader` that the zkVM guest commits and the Rollup
///         verifies against, and the blob-equivalence digest it contains.
library PublicValues {
    /// @dev Length of the encoding: 8 static words.
    uint256 internal constant ENCODED_LENGTH = 8 * 32;

    /// @notice `abi.encode(prevStateRoot, newStateRoot, inboxStart, inboxEnd, inboxStartAcc,
    ///         inboxEndAcc, withdrawalsRoot, blobsHash)`: 256 bytes, every field in its own word.
    function encode(BatchHeader memory header) internal pure returns (bytes memory) {
        return abi.encode(header);
    }

    /// @notice `keccak(‖ over openings (versionedHash ‖ z ‖ y))`, or zero when there is none
    ///         (docs/PROTOCOL.md section 13).
    function blobsHash(BlobOpening[] calldata openings) internal pure returns (bytes32) {
        if (openings.length == 0) return bytes32(0);
        bytes memory packed = new bytes(openings.length * 96);
        for (uint256 k; k < openings.length; ++k) {
            BlobOpening calldata opening = openings[k];
            bytes32 versionedHash = opening.versionedHash;
            bytes32 z = opening.z;
            bytes32 y = opening.y;
            assembly ("memory-safe") {
                let at := add(add(packed, 32), mul(k, 96))
                mstore(at, versionedHash)
                mstore(add(at, 32), z)
                mstore(add(at, 64), y)
            }
        }
        return keccak256(packed);
    }
}
