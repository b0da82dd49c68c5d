// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {InboxReplay} from "./utils/InboxReplay.sol";
import {Rollup} from "../Rollup.sol";
import {MockVerifier} from "../MockVerifier.sol";
import {BatchHeader, BlobOpening, PublicValues} from "../PublicValues.sol";

/// @notice Checks a batch that a real node proved and a real devnet Rollup verified
///         (tests/fixtures/devnet_batch.json, written by scripts/make-devnet-fixture.py): the Inbox
///         is rebuilt at the devnet's address by replaying the recorded entries, then the node's
///         header, blob openings (real KZG, checked by 0x0a) and proof must settle on a fresh Rollup.
///         When the SP1 route produces real proofs, their fixtures join with the gateway verifier.
contract DevnetFixtureTest is InboxReplay {
    Rollup internal rollup;
    BatchHeader internal header;

    /// @dev The fixture file, relative to the project root (Sp1FixtureTest reads the SP1 one,
    ///      ExportedBatchTest the one `clobnode export-fixture` wrote).
    function _fixturePath() internal view virtual returns (string memory) {
        return "/tests/fixtures/devnet_batch.json";
    }

    function setUp() public virtual {
        json = vm.readFile(string.concat(vm.projectRoot(), _fixturePath()));
        vm.chainId(vm.parseJsonUint(json, ".chain_id"));
        _rebuildInbox();
        header = _header();
        MockVerifier verifier = new MockVerifier();
        rollup = new Rollup(
            inbox, verifier, vm.parseJsonBytes32(json, ".vkey"), header.prevStateRoot, address(this), 8 days, 7 days
        );
        _positionAtBatchStart(rollup);
    }

    /// @dev A batch that does not start at entry 0 settles on a Rollup whose verified index is
    ///      its start (storage slot 3 holds `nextInboxIndex`, see `forge inspect Rollup storageLayout`).
    function _positionAtBatchStart(Rollup target) internal {
        if (header.inboxStart != 0) {
            vm.store(address(target), bytes32(uint256(3)), bytes32(uint256(header.inboxStart)));
            assertEq(target.nextInboxIndex(), header.inboxStart);
        }
    }

    function _header() internal view returns (BatchHeader memory) {
        return BatchHeader({
            prevStateRoot: vm.parseJsonBytes32(json, ".header.prev_state_root"),
            newStateRoot: vm.parseJsonBytes32(json, ".header.new_state_root"),
            inboxStart: uint64(vm.parseJsonUint(json, ".header.inbox_start")),
            inboxEnd: uint64(vm.parseJsonUint(json, ".header.inbox_end")),
            inboxStartAcc: vm.parseJsonBytes32(json, ".header.inbox_start_acc"),
            inboxEndAcc: vm.parseJsonBytes32(json, ".header.inbox_end_acc"),
            withdrawalsRoot: vm.parseJsonBytes32(json, ".header.withdrawals_root"),
            blobsHash: vm.parseJsonBytes32(json, ".header.blobs_hash")
        });
    }

    function _openings() internal view returns (BlobOpening[] memory) {
        return _openingsAt(".blob_openings");
    }

    function test_devnetBatch_publicValuesAreTheHeaderEncoding() public view {
        assertEq(PublicValues.encode(header), vm.parseJsonBytes(json, ".public_values"));
    }

    function test_devnetBatch_settlesOnRebuiltInbox() public {
        rollup.submitBatch(header, _openings(), vm.parseJsonBytes(json, ".proof"));
        assertEq(rollup.stateRoot(), header.newStateRoot);
        assertEq(rollup.nextInboxIndex(), header.inboxEnd);
        assertEq(rollup.withdrawalsRoot(0), header.withdrawalsRoot);
    }

    function testFuzz_devnetBatch_rejectsAnyAlteredField(uint8 field, bytes32 noise) public {
        vm.assume(noise != bytes32(0));
        BatchHeader memory altered = header;
        BlobOpening[] memory openings = _openings();
        field = uint8(bound(field, 0, openings.length == 0 ? 7 : 8));
        if (field == 0) altered.prevStateRoot ^= noise;
        else if (field == 1) altered.inboxStart ^= uint64(uint256(noise)) | 1;
        else if (field == 2) altered.inboxEnd ^= uint64(uint256(noise)) | 1;
        else if (field == 3) altered.inboxStartAcc ^= noise;
        else if (field == 4) altered.inboxEndAcc ^= noise;
        else if (field == 5) altered.blobsHash ^= noise;
        else if (field == 6) altered.inboxEnd = altered.inboxStart; // empty range
        else if (field == 7) altered.prevStateRoot = altered.newStateRoot;
        else openings[0].y ^= noise;
        vm.expectRevert();
        rollup.submitBatch(altered, openings, vm.parseJsonBytes(json, ".proof"));
    }
}
