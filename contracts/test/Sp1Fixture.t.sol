// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {MockVerifier} from "../MockVerifier.sol";
import {Rollup} from "../Rollup.sol";
import {BlobOpening, PublicValues} from "../PublicValues.sol";
import {DevnetFixtureTest} from "./DevnetFixture.t.sol";
import {ExpectingVerifier} from "./utils/ExpectingVerifier.sol";

/// @notice The node's SP1 fixture (tests/fixtures/sp1_batch.json, `scripts/make-devnet-fixture.py
///         --sp1`): a devnet batch that the node's `sp1` backend ran through SP1's executor (the
///         guest ELF of `make zkvm`) and a devnet Rollup deployed with the SP1 program's vkey
///         verified. Every DevnetFixtureTest check runs on it (Inbox rebuilt by replay, settlement,
///         altered fields rejected); here: the public values the SP1 guest committed are the
///         header the Rollup checks, and the Rollup calls the verifier with that vkey and those bytes.
///         Groth16/PLONK fixtures (`clob-sp1-host groth16|plonk`, docs/ZKVM.md) carry a non-empty
///         proof for Succinct's SP1 verifier gateway instead of the mock.
contract Sp1FixtureTest is DevnetFixtureTest {
    function _fixturePath() internal pure override returns (string memory) {
        return "/tests/fixtures/sp1_batch.json";
    }

    function test_sp1Fixture_guestCommittedTheHeaderTheRollupChecks() public view {
        bytes memory committed = vm.parseJsonBytes(json, ".sp1.publicValues");
        assertEq(committed, PublicValues.encode(header));
        assertEq(committed, vm.parseJsonBytes(json, ".public_values"));
        assertEq(vm.parseJsonBytes32(json, ".sp1.vkey"), vm.parseJsonBytes32(json, ".vkey"));
        assertGt(vm.parseJsonUint(json, ".sp1.cycles"), 0);
    }

    function test_sp1Fixture_rollupPassesVkeyAndPublicValuesToTheVerifier() public {
        bytes32 vkey = vm.parseJsonBytes32(json, ".sp1.vkey");
        bytes memory proof = vm.parseJsonBytes(json, ".sp1.proof");
        ExpectingVerifier expecting = new ExpectingVerifier(vkey, vm.parseJsonBytes(json, ".sp1.publicValues"), proof);
        Rollup sp1Rollup = new Rollup(inbox, expecting, vkey, header.prevStateRoot, address(this), 8 days, 7 days);
        _positionAtBatchStart(sp1Rollup);
        sp1Rollup.submitBatch(header, _openings(), proof);
        assertEq(sp1Rollup.stateRoot(), header.newStateRoot);
    }

    function test_sp1Fixture_otherProgramVkeyIsRejected() public {
        bytes32 vkey = vm.parseJsonBytes32(json, ".sp1.vkey");
        bytes memory proof = vm.parseJsonBytes(json, ".sp1.proof");
        ExpectingVerifier expecting = new ExpectingVerifier(vkey, vm.parseJsonBytes(json, ".sp1.publicValues"), proof);
        Rollup other = new Rollup(inbox, expecting, ~vkey, header.prevStateRoot, address(this), 8 days, 7 days);
        BlobOpening[] memory openings = _openings();
        vm.expectRevert(ExpectingVerifier.UnexpectedVerification.selector);
        other.submitBatch(header, openings, proof);
    }

    function test_sp1Fixture_mockProofIsEmptyAndOnlyTheMockVerifierTakesIt() public {
        bytes memory proof = vm.parseJsonBytes(json, ".sp1.proof");
        assertEq(proof.length, 0, "execute-mode / SP1_PROVER=mock fixtures carry no proof");
        MockVerifier mock = new MockVerifier();
        mock.verifyProof(vm.parseJsonBytes32(json, ".sp1.vkey"), vm.parseJsonBytes(json, ".sp1.publicValues"), proof);
    }
}
