// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {MockVerifier} from "../MockVerifier.sol";

contract MockVerifierTest is Test {
    function test_verifyProof_acceptsEmptyProof() public {
        new MockVerifier().verifyProof(bytes32(uint256(1)), hex"1234", "");
    }

    function testFuzz_verifyProof_acceptsEmptyProof(bytes32 vkey, bytes calldata publicValues) public {
        new MockVerifier().verifyProof(vkey, publicValues, "");
    }

    function test_verifyProof_revertsOnNonEmptyProof() public {
        MockVerifier verifier = new MockVerifier();
        vm.expectRevert(MockVerifier.MockVerifierNonEmptyProof.selector);
        verifier.verifyProof(bytes32(0), "", hex"00");
    }

    function testFuzz_verifyProof_revertsOnNonEmptyProof(bytes32 vkey, bytes calldata proof) public {
        vm.assume(proof.length > 0);
        MockVerifier verifier = new MockVerifier();
        vm.expectRevert(MockVerifier.MockVerifierNonEmptyProof.selector);
        verifier.verifyProof(vkey, "", proof);
    }

    function test_constructor_deploysOnDevChains() public {
        vm.chainId(1337);
        new MockVerifier();
        vm.chainId(31337);
        new MockVerifier();
    }

    function test_constructor_revertsOnMainnet() public {
        vm.chainId(1);
        vm.expectRevert(abi.encodeWithSelector(MockVerifier.MockVerifierNotDevChain.selector, 1));
        new MockVerifier();
    }

    function testFuzz_constructor_revertsOffDevChains(uint64 chainId) public {
        vm.assume(chainId != 31337 && chainId != 1337 && chainId != 0);
        vm.chainId(chainId);
        vm.expectRevert(abi.encodeWithSelector(MockVerifier.MockVerifierNotDevChain.selector, chainId));
        new MockVerifier();
    }
}
