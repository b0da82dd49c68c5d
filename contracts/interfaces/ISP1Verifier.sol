// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title ISP1Verifier
/// @notice Succinct's SP1 proof verifier interface. Production deployments pass the SP1 verifier
///         gateway's address; dev chains pass a `MockVerifier`.
interface ISP1Verifier {
    /// @notice Verifies a proof that the SP1 program `programVKey` committed `publicValues`.
    /// @dev Reverts if the proof is invalid.
    /// @param programVKey The verification key of the SP1 program.
    /// @param publicValues The public values the program committed.
    /// @param proofBytes The proof, prefixed with the verifier selector as SP1 emits it.
    function verifyProof(bytes32 programVKey, bytes calldata publicValues, bytes calldata proofBytes) external view;
}
