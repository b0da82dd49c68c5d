// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IZiskVerifier
/// @notice The on-chain verifier ZisK emits for its final SNARK (a PLONK verifier over BN254,
///         `ZiskVerifier.sol` of ZisK v0.16). It hashes `programVK ‖ publicValues ‖
///         rootCVadcopFinal` with sha256 into one BN254 public input and reverts unless the
///         proof verifies.
interface IZiskVerifier {
    /// @notice Verifies a ZisK proof that the program `programVK` committed `publicValues`.
    /// @dev Reverts if the proof is invalid.
    /// @param programVK The program's verification key as four 64-bit limbs.
    /// @param rootCVadcopFinal The root of the aggregation circuit's constants, four 64-bit limbs.
    /// @param publicValues The public values the program committed.
    /// @param proofBytes The ABI-encoded PLONK proof (24 words).
    function verifySnarkProof(
        uint64[4] calldata programVK,
        uint64[4] calldata rootCVadcopFinal,
        bytes calldata publicValues,
        bytes calldata proofBytes
    ) external view;
}
