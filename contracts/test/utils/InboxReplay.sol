// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {Inbox} from "../../Inbox.sol";
import {Vault} from "../../Vault.sol";
import {BlobOpening} from "../../PublicValues.sol";

/// @notice Rebuilds a devnet's Inbox from a fixture written by the fixture scripts
///         (scripts/devnet_scenario.py): the Inbox is deployed at the devnet's address by the same
///         deployer nonce, and every recorded entry is replayed at its L1 block and time, its
///         accumulator checked against the recorded one.
abstract contract InboxReplay is Test {
    string internal json;
    Inbox internal inbox;
    Vault internal vault;

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

    /// @dev The blob openings recorded at `array` (a JSON array of versioned_hash, z, y, commitment, proof).
    function _openingsAt(string memory array) internal view returns (BlobOpening[] memory openings) {
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
}
