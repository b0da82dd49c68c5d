// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {Inbox} from "../Inbox.sol";
import {Vault} from "../Vault.sol";
import {Rollup} from "../Rollup.sol";
import {MockVerifier} from "../MockVerifier.sol";
import {BatchHeader, BlobOpening, PublicValues} from "../PublicValues.sol";

/// @notice Checks a batch that a real node proved and a real devnet Rollup verified
///         (tests/fixtures/devnet_batch.json, written by scripts/make-devnet-fixture.py): the Inbox
///         is rebuilt at the devnet's address by replaying the recorded entries, then the node's
///         header, blob openings (real KZG, checked by 0x0a) and proof must settle on a fresh Rollup.
///         When the SP1 route produces real proofs, their fixtures join with the gateway verifier.
contract DevnetFixtureTest is Test {
    string internal json;
    Inbox internal inbox;
    Vault internal vault;
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

    function _uintOr(string memory key, uint256 otherwise) internal view returns (uint256) {
        return vm.keyExistsJson(json, key) ? vm.parseJsonUint(json, key) : otherwise;
    }

    function _at(string memory array, uint256 i, string memory field) internal pure returns (string memory) {
        return string.concat(array, "[", vm.toString(i), "].", field);
    }

    function _count(string memory array) internal view returns (uint256 n) {
        while (vm.keyExistsJson(json, string.concat(array, "[", vm.toString(n), "]"))) ++n;
    }

    function _rebuildInbox() internal {
        address deployer = vm.parseJsonAddress(json, ".inbox.deployer");
        vm.setNonce(deployer, uint64(vm.parseJsonUint(json, ".inbox.deployer_nonce")));
        address feeRecipient = vm.keyExistsJson(json, ".inbox.fee_recipient")
            ? vm.parseJsonAddress(json, ".inbox.fee_recipient")
            : deployer;
        vm.prank(deployer);
        inbox = new Inbox(_uintOr(".inbox.entry_fee", 0), _uintOr(".inbox.blob_fee", 0), feeRecipient);
        assertEq(address(inbox), vm.parseJsonAddress(json, ".inbox.address"));
        vault = inbox.vault();
        assertEq(address(vault), vm.parseJsonAddress(json, ".inbox.vault"));
        string memory entries = ".inbox.entries";
        uint256 n = _count(entries);
        for (uint256 i; i < n; ++i) {
            uint256 kind = vm.parseJsonUint(json, _at(entries, i, "kind"));
            address sender = vm.parseJsonAddress(json, _at(entries, i, "sender"));
            bytes memory payload = vm.parseJsonBytes(json, _at(entries, i, "payload"));
            vm.roll(vm.parseJsonUint(json, _at(entries, i, "l1_block")));
            vm.warp(vm.parseJsonUint(json, _at(entries, i, "l1_timestamp")));
            _replay(kind, sender, payload);
            assertEq(inbox.accAt(i), vm.parseJsonBytes32(json, _at(entries, i, "acc")));
        }
    }

    function _replay(uint256 kind, address sender, bytes memory payload) internal {
        uint256 fee = kind == 4 ? inbox.blobFee() * (payload.length / 32) : inbox.entryFee();
        vm.deal(sender, sender.balance + fee);
        vm.prank(sender);
        if (kind == 1) {
            inbox.sendDirect{value: fee}(payload);
        } else if (kind == 2) {
            inbox.relaySigned{value: fee}(payload);
        } else if (kind == 3) {
            (address trader, address token, uint256 amount) = abi.decode(
                bytes.concat(
                    bytes12(0), _slice(payload, 0, 20), bytes12(0), _slice(payload, 20, 40), _slice(payload, 40, 72)
                ),
                (address, address, uint256)
            );
            inbox.enqueueDeposit{value: fee}(trader, token, amount);
        } else if (kind == 4) {
            bytes32[] memory hashes = new bytes32[](payload.length / 32);
            for (uint256 k; k < hashes.length; ++k) {
                hashes[k] = bytes32(_slice(payload, 32 * k, 32 * k + 32));
            }
            vm.blobhashes(hashes);
            inbox.proposeBatch{value: fee}();
        } else {
            (address token, uint256 amount) = abi.decode(
                bytes.concat(bytes12(0), _slice(payload, 0, 20), _slice(payload, 20, 52)), (address, uint256)
            );
            inbox.requestWithdrawal{value: fee}(token, amount);
        }
    }

    function _slice(bytes memory data, uint256 from, uint256 to) internal pure returns (bytes memory out) {
        out = new bytes(to - from);
        for (uint256 i; i < out.length; ++i) {
            out[i] = data[from + i];
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

    function _openings() internal view returns (BlobOpening[] memory openings) {
        string memory array = ".blob_openings";
        openings = new BlobOpening[](_count(array));
        for (uint256 k; k < openings.length; ++k) {
            openings[k] = BlobOpening({
                versionedHash: vm.parseJsonBytes32(json, _at(array, k, "versioned_hash")),
                z: vm.parseJsonBytes32(json, _at(array, k, "z")),
                y: vm.parseJsonBytes32(json, _at(array, k, "y")),
                commitment: vm.parseJsonBytes(json, _at(array, k, "commitment")),
                proof: vm.parseJsonBytes(json, _at(array, k, "proof"))
            });
        }
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
