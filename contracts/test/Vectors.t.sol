// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {Inbox} from "../Inbox.sol";
import {BatchHeader, PublicValues} from "../PublicValues.sol";

/// @notice Replays the golden vectors of tests/vectors/ (generated with `cast` by
///         scripts/gen-l1-vectors.sh) against the contracts.
contract VectorsTest is Test {
    /// @dev The vectors' Inbox: anvil's first dev account's first deployment.
    address internal constant DEPLOYER = 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266;
    address internal constant VECTOR_INBOX = 0x5FbDB2315678afecb367f032d93F642f64180aa3;

    string internal entriesJson;
    string internal publicValuesJson;

    function setUp() public {
        entriesJson = vm.readFile(string.concat(vm.projectRoot(), "/tests/vectors/inbox_entries.json"));
        publicValuesJson = vm.readFile(string.concat(vm.projectRoot(), "/tests/vectors/public_values.json"));
    }

    function _count(string memory json, string memory key) internal view returns (uint256 n) {
        while (vm.keyExistsJson(json, string.concat(key, "[", vm.toString(n), "]"))) ++n;
    }

    function _entry(uint256 i, string memory field) internal pure returns (string memory) {
        return string.concat(".entries[", vm.toString(i), "].", field);
    }

    function _case(uint256 i, string memory field) internal pure returns (string memory) {
        return string.concat(".cases[", vm.toString(i), "].", field);
    }

    function test_vectors_coverEveryKind() public view {
        uint256 n = _count(entriesJson, ".entries");
        assertGe(n, 5);
        bool[6] memory seen;
        for (uint256 i; i < n; ++i) {
            seen[vm.parseJsonUint(entriesJson, _entry(i, "kind"))] = true;
        }
        for (uint256 kind = 1; kind <= 5; ++kind) {
            assertTrue(seen[kind]);
        }
    }

    function test_inboxEntries_matchHashesAndAccumulator() public view {
        uint256 n = _count(entriesJson, ".entries");
        bytes32 acc;
        for (uint256 i; i < n; ++i) {
            bytes memory payload = vm.parseJsonBytes(entriesJson, _entry(i, "payload"));
            bytes32 payloadHash = keccak256(payload);
            assertEq(payloadHash, vm.parseJsonBytes32(entriesJson, _entry(i, "payload_hash")));
            bytes32 entryHash = keccak256(
                abi.encodePacked(
                    uint8(vm.parseJsonUint(entriesJson, _entry(i, "kind"))),
                    vm.parseJsonAddress(entriesJson, _entry(i, "sender")),
                    uint64(vm.parseJsonUint(entriesJson, _entry(i, "l1_block"))),
                    uint64(vm.parseJsonUint(entriesJson, _entry(i, "l1_timestamp"))),
                    payloadHash
                )
            );
            assertEq(entryHash, vm.parseJsonBytes32(entriesJson, _entry(i, "entry_hash")));
            acc = keccak256(abi.encodePacked(acc, entryHash));
            assertEq(acc, vm.parseJsonBytes32(entriesJson, _entry(i, "acc")));
        }
    }

    /// @dev Appends every vector entry through the real Inbox (deployed where the vectors put it,
    ///      so its Vault is the vectors' deposit sender) and compares the stored accumulators.
    function test_inboxEntries_replayThroughInbox() public {
        vm.prank(DEPLOYER);
        Inbox inbox = new Inbox(0, 0, address(this));
        assertEq(address(inbox), VECTOR_INBOX);

        uint256 n = _count(entriesJson, ".entries");
        for (uint256 i; i < n; ++i) {
            uint256 kind = vm.parseJsonUint(entriesJson, _entry(i, "kind"));
            address sender = vm.parseJsonAddress(entriesJson, _entry(i, "sender"));
            bytes memory payload = vm.parseJsonBytes(entriesJson, _entry(i, "payload"));
            vm.roll(vm.parseJsonUint(entriesJson, _entry(i, "l1_block")));
            vm.warp(vm.parseJsonUint(entriesJson, _entry(i, "l1_timestamp")));
            if (kind == 1) {
                vm.prank(sender);
                inbox.sendDirect(payload);
            } else if (kind == 2) {
                vm.prank(sender);
                inbox.relaySigned(payload);
            } else if (kind == 3) {
                assertEq(sender, address(inbox.vault()));
                (address trader, address token, uint256 amount) = _splitDeposit(payload);
                vm.prank(sender);
                inbox.enqueueDeposit(trader, token, amount);
            } else if (kind == 5) {
                (address token, uint256 amount) = _splitWithdrawal(payload);
                vm.prank(sender);
                inbox.requestWithdrawal(token, amount);
            } else {
                vm.blobhashes(_splitHashes(payload));
                vm.prank(sender);
                inbox.proposeBatch();
            }
            assertEq(inbox.accAt(i), vm.parseJsonBytes32(entriesJson, _entry(i, "acc")));
        }
        assertEq(inbox.count(), n);
    }

    function test_publicValues_matchEncoding() public view {
        uint256 n = _count(publicValuesJson, ".cases");
        assertGe(n, 2);
        for (uint256 i; i < n; ++i) {
            BatchHeader memory header = BatchHeader({
                prevStateRoot: vm.parseJsonBytes32(publicValuesJson, _case(i, "prev_state_root")),
                newStateRoot: vm.parseJsonBytes32(publicValuesJson, _case(i, "new_state_root")),
                inboxStart: uint64(vm.parseJsonUint(publicValuesJson, _case(i, "inbox_start"))),
                inboxEnd: uint64(vm.parseJsonUint(publicValuesJson, _case(i, "inbox_end"))),
                inboxStartAcc: vm.parseJsonBytes32(publicValuesJson, _case(i, "inbox_start_acc")),
                inboxEndAcc: vm.parseJsonBytes32(publicValuesJson, _case(i, "inbox_end_acc")),
                withdrawalsRoot: vm.parseJsonBytes32(publicValuesJson, _case(i, "withdrawals_root")),
                blobsHash: vm.parseJsonBytes32(publicValuesJson, _case(i, "blobs_hash"))
            });
            bytes memory encoded = PublicValues.encode(header);
            assertEq(encoded.length, PublicValues.ENCODED_LENGTH);
            assertEq(encoded, vm.parseJsonBytes(publicValuesJson, _case(i, "encoded")));
        }
    }

    function testFuzz_publicValues_fieldOffsets(BatchHeader memory header) public pure {
        bytes memory encoded = PublicValues.encode(header);
        assertEq(encoded.length, 256);
        bytes32[8] memory words = abi.decode(encoded, (bytes32[8]));
        assertEq(words[0], header.prevStateRoot);
        assertEq(words[1], header.newStateRoot);
        assertEq(uint256(words[2]), header.inboxStart);
        assertEq(uint256(words[3]), header.inboxEnd);
        assertEq(words[4], header.inboxStartAcc);
        assertEq(words[5], header.inboxEndAcc);
        assertEq(words[6], header.withdrawalsRoot);
        assertEq(words[7], header.blobsHash);
    }

    function _splitDeposit(bytes memory payload) internal pure returns (address trader, address token, uint256 amount) {
        assertEq(payload.length, 72);
        assembly ("memory-safe") {
            trader := shr(96, mload(add(payload, 32)))
            token := shr(96, mload(add(payload, 52)))
            amount := mload(add(payload, 72))
        }
    }

    function _splitWithdrawal(bytes memory payload) internal pure returns (address token, uint256 amount) {
        assertEq(payload.length, 52);
        assembly ("memory-safe") {
            token := shr(96, mload(add(payload, 32)))
            amount := mload(add(payload, 52))
        }
    }

    function _splitHashes(bytes memory payload) internal pure returns (bytes32[] memory hashes) {
        assertEq(payload.length % 32, 0);
        hashes = new bytes32[](payload.length / 32);
        for (uint256 k; k < hashes.length; ++k) {
            bytes32 h;
            assembly ("memory-safe") {
                h := mload(add(add(payload, 32), mul(k, 32)))
            }
            hashes[k] = h;
        }
    }
}
