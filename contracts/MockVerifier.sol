// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ISP1Verifier} from "./interfaces/ISP1Verifier.sol";

/// @title MockVerifier
/// @notice INSECURE — DEV CHAINS ONLY. Accepts every public values with an empty proof, so it
///         proves nothing; it pairs with `SP1_PROVER=mock`, which executes the guest but fakes
///         the proof. It refuses to deploy outside dev chain ids 31337 (anvil) and 1337.
contract MockVerifier is ISP1Verifier {
    /// @dev The proof was not empty.
    error MockVerifierNonEmptyProof();
    /// @dev Deployment was attempted on a chain that is not a dev chain.
    error MockVerifierNotDevChain(uint256 chainId);

    /// @notice Deploys only on dev chains (31337, 1337).
    constructor() {
        if (block.chainid != 31337 && block.chainid != 1337) revert MockVerifierNotDevChain(block.chainid);
    }

    /// @notice INSECURE: succeeds for any program and public values when `proofBytes` is empty.
    /// @param proofBytes Must be empty.
    function verifyProof(bytes32, bytes calldata, bytes calldata proofBytes) external pure {
        if (proofBytes.length != 0) revert MockVerifierNonEmptyProof();
    }
}
