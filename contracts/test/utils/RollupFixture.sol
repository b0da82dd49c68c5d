// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {Inbox} from "../../Inbox.sol";
import {Vault} from "../../Vault.sol";
import {Rollup} from "../../Rollup.sol";
import {MockVerifier} from "../../MockVerifier.sol";
import {BatchHeader, BlobOpening} from "../../PublicValues.sol";

/// @notice A deployed stack (Inbox, Vault, MockVerifier, Rollup bound to the Vault) and the
///         helpers every contract test shares: headers that continue the chain, inbox appends,
///         and sorted-pair Merkle trees (docs/PROTOCOL.md section 11).
abstract contract RollupFixture is Test {
    bytes32 internal constant VKEY = keccak256("clobnode-guest");
    bytes32 internal constant GENESIS = keccak256("genesis");
    uint256 internal constant UPGRADE_DELAY = 8 days;
    uint256 internal constant ESCAPE_DEADLINE = 7 days;

    address internal owner = makeAddr("owner");
    Inbox internal inbox;
    Vault internal vault;
    MockVerifier internal verifier;
    Rollup internal rollup;

    function _deployStack() internal {
        inbox = new Inbox(0, 0, address(this));
        vault = inbox.vault();
        verifier = new MockVerifier();
        rollup = new Rollup(inbox, verifier, VKEY, GENESIS, owner, UPGRADE_DELAY, ESCAPE_DEADLINE);
        vault.bindRollup(rollup);
    }

    function _noOpenings() internal pure returns (BlobOpening[] memory) {
        return new BlobOpening[](0);
    }

    /// @dev Appends `n` direct cancel messages.
    function _append(uint256 n) internal {
        for (uint256 i; i < n; ++i) {
            inbox.sendDirect(abi.encodePacked(uint8(2), uint32(1), uint64(inbox.count())));
        }
    }

    /// @dev Appends a cancel that no batch proves, lets it go stale and freezes on it.
    function _freezeOnNewEntry() internal {
        uint64 index = uint64(inbox.count());
        uint64 at = uint64(block.timestamp);
        _append(1);
        vm.warp(block.timestamp + ESCAPE_DEADLINE + 1);
        rollup.freeze(
            1, address(this), uint64(block.number), at, keccak256(abi.encodePacked(uint8(2), uint32(1), index))
        );
    }

    /// @dev The header that correctly continues the rollup over entries `[next, end)`.
    function _header(uint64 end, bytes32 newRoot) internal view returns (BatchHeader memory) {
        uint64 start = rollup.nextInboxIndex();
        return BatchHeader({
            prevStateRoot: rollup.stateRoot(),
            newStateRoot: newRoot,
            inboxStart: start,
            inboxEnd: end,
            inboxStartAcc: inbox.accBefore(start),
            inboxEndAcc: inbox.accAt(end - 1),
            withdrawalsRoot: bytes32(0),
            blobsHash: bytes32(0)
        });
    }

    /// @dev Settles every inbox entry so far with a mock proof.
    function _settleAll(bytes32 newRoot, bytes32 withdrawalsRoot) internal {
        BatchHeader memory header = _header(uint64(inbox.count()), newRoot);
        header.withdrawalsRoot = withdrawalsRoot;
        rollup.submitBatch(header, _noOpenings(), "");
    }

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                   SORTED-PAIR MERKLE TREES                 */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    function _node(bytes32 a, bytes32 b) internal pure returns (bytes32) {
        return a < b ? keccak256(abi.encodePacked(a, b)) : keccak256(abi.encodePacked(b, a));
    }

    /// @dev The section-10 root: leaves padded with zeros to a power of two; zero for none.
    function _merkleRoot(bytes32[] memory leaves) internal pure returns (bytes32) {
        if (leaves.length == 0) return bytes32(0);
        bytes32[] memory level = _padded(leaves);
        while (level.length > 1) {
            bytes32[] memory up = new bytes32[](level.length / 2);
            for (uint256 i; i < up.length; ++i) {
                up[i] = _node(level[2 * i], level[2 * i + 1]);
            }
            level = up;
        }
        return level[0];
    }

    /// @dev The branch of leaf `index`, bottom up.
    function _merkleProof(bytes32[] memory leaves, uint256 index) internal pure returns (bytes32[] memory proof) {
        bytes32[] memory level = _padded(leaves);
        uint256 depth;
        for (uint256 n = level.length; n > 1; n /= 2) {
            ++depth;
        }
        proof = new bytes32[](depth);
        for (uint256 d; d < depth; ++d) {
            proof[d] = level[index ^ 1];
            bytes32[] memory up = new bytes32[](level.length / 2);
            for (uint256 i; i < up.length; ++i) {
                up[i] = _node(level[2 * i], level[2 * i + 1]);
            }
            level = up;
            index /= 2;
        }
    }

    function _padded(bytes32[] memory leaves) private pure returns (bytes32[] memory level) {
        uint256 width = 1;
        while (width < leaves.length) width *= 2;
        level = new bytes32[](width);
        for (uint256 i; i < leaves.length; ++i) {
            level[i] = leaves[i];
        }
    }
}
