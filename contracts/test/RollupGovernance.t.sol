// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {RollupFixture} from "./utils/RollupFixture.sol";
import {Rollup} from "../Rollup.sol";
import {MockVerifier} from "../MockVerifier.sol";
import {ZiskVerifierAdapter} from "../ZiskVerifierAdapter.sol";
import {ISP1Verifier} from "../interfaces/ISP1Verifier.sol";
import {IZiskVerifier} from "../interfaces/IZiskVerifier.sol";
import {BatchHeader, PublicValues} from "../PublicValues.sol";

/// @notice Per-backend verifiers, the owner's time-delayed verifier changes, and the ZisK adapter.
contract RollupGovernanceTest is RollupFixture {
    event VerifierChangeProposed(Rollup.Backend indexed backend, ISP1Verifier verifier, bytes32 vkey, uint256 readyAt);
    event VerifierChanged(Rollup.Backend indexed backend, ISP1Verifier verifier, bytes32 vkey);
    event VerifierChangeCancelled(Rollup.Backend indexed backend);

    bytes32 internal constant ZISK_VKEY = 0x0000000000000001000000000000000200000000000000030000000000000004;
    address internal zisk = makeAddr("ziskVerifier");
    ZiskVerifierAdapter internal adapter;

    function setUp() public {
        _deployStack();
        adapter = new ZiskVerifierAdapter(IZiskVerifier(zisk), [uint64(11), 12, 13, 14]);
    }

    function _enableZisk() internal {
        vm.prank(owner);
        rollup.proposeVerifierChange(Rollup.Backend.ZISK, adapter, ZISK_VKEY);
        vm.warp(block.timestamp + UPGRADE_DELAY);
        vm.prank(owner);
        rollup.executeVerifierChange(Rollup.Backend.ZISK);
    }

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                         TIMELOCK                           */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    function test_verifierChange_appliesOnlyAfterDelay() public {
        MockVerifier next = new MockVerifier();
        uint256 readyAt = block.timestamp + UPGRADE_DELAY;
        vm.expectEmit(address(rollup));
        emit VerifierChangeProposed(Rollup.Backend.SP1, next, keccak256("v2"), readyAt);
        vm.prank(owner);
        rollup.proposeVerifierChange(Rollup.Backend.SP1, next, keccak256("v2"));
        assertEq(address(rollup.verifier()), address(verifier));

        vm.warp(readyAt - 1);
        vm.prank(owner);
        vm.expectRevert(abi.encodeWithSelector(Rollup.ChangeNotReady.selector, readyAt));
        rollup.executeVerifierChange(Rollup.Backend.SP1);

        vm.warp(readyAt);
        vm.expectEmit(address(rollup));
        emit VerifierChanged(Rollup.Backend.SP1, next, keccak256("v2"));
        vm.prank(owner);
        rollup.executeVerifierChange(Rollup.Backend.SP1);
        assertEq(address(rollup.verifier()), address(next));
        assertEq(rollup.programVKey(), keccak256("v2"));
        (,, uint256 pendingAt) = rollup.pendingChange(Rollup.Backend.SP1);
        assertEq(pendingAt, 0);
    }

    function testFuzz_verifierChange_appliesOnlyAfterDelay(uint256 wait, address next, bytes32 vkey) public {
        wait = bound(wait, 0, 2 * UPGRADE_DELAY);
        vm.prank(owner);
        rollup.proposeVerifierChange(Rollup.Backend.SP1, ISP1Verifier(next), vkey);
        uint256 readyAt = block.timestamp + UPGRADE_DELAY;
        vm.warp(block.timestamp + wait);
        vm.prank(owner);
        if (wait < UPGRADE_DELAY) {
            vm.expectRevert(abi.encodeWithSelector(Rollup.ChangeNotReady.selector, readyAt));
            rollup.executeVerifierChange(Rollup.Backend.SP1);
            assertEq(address(rollup.verifier()), address(verifier));
        } else {
            rollup.executeVerifierChange(Rollup.Backend.SP1);
            assertEq(address(rollup.verifier()), next);
            assertEq(rollup.programVKey(), vkey);
        }
    }

    function test_verifierChange_isOwnerOnly() public {
        address stranger = makeAddr("stranger");
        vm.startPrank(stranger);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, stranger));
        rollup.proposeVerifierChange(Rollup.Backend.SP1, adapter, ZISK_VKEY);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, stranger));
        rollup.executeVerifierChange(Rollup.Backend.SP1);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, stranger));
        rollup.cancelVerifierChange(Rollup.Backend.SP1);
        vm.stopPrank();
    }

    function testFuzz_verifierChange_isOwnerOnly(address caller, uint8 backend) public {
        vm.assume(caller != owner);
        Rollup.Backend which = Rollup.Backend(bound(backend, 0, 1));
        vm.prank(caller);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, caller));
        rollup.proposeVerifierChange(which, adapter, ZISK_VKEY);
    }

    function test_cancelVerifierChange_dropsThePendingChange() public {
        vm.prank(owner);
        rollup.proposeVerifierChange(Rollup.Backend.SP1, adapter, ZISK_VKEY);
        vm.expectEmit(address(rollup));
        emit VerifierChangeCancelled(Rollup.Backend.SP1);
        vm.prank(owner);
        rollup.cancelVerifierChange(Rollup.Backend.SP1);
        vm.warp(block.timestamp + UPGRADE_DELAY);
        vm.prank(owner);
        vm.expectRevert(abi.encodeWithSelector(Rollup.NoPendingChange.selector, Rollup.Backend.SP1));
        rollup.executeVerifierChange(Rollup.Backend.SP1);
    }

    function testFuzz_cancelVerifierChange_revertsWithoutPending(uint8 backend) public {
        Rollup.Backend which = Rollup.Backend(bound(backend, 0, 1));
        vm.prank(owner);
        vm.expectRevert(abi.encodeWithSelector(Rollup.NoPendingChange.selector, which));
        rollup.cancelVerifierChange(which);
    }

    function test_proposeVerifierChange_restartsTheDelay() public {
        vm.prank(owner);
        rollup.proposeVerifierChange(Rollup.Backend.SP1, adapter, ZISK_VKEY);
        vm.warp(block.timestamp + UPGRADE_DELAY - 1);
        vm.prank(owner);
        rollup.proposeVerifierChange(Rollup.Backend.SP1, adapter, keccak256("other"));
        vm.warp(block.timestamp + 1);
        vm.prank(owner);
        vm.expectRevert(abi.encodeWithSelector(Rollup.ChangeNotReady.selector, block.timestamp - 1 + UPGRADE_DELAY));
        rollup.executeVerifierChange(Rollup.Backend.SP1);
    }

    function testFuzz_proposeVerifierChange_recordsReadyAt(uint32 at, bytes32 vkey) public {
        vm.warp(at);
        vm.prank(owner);
        rollup.proposeVerifierChange(Rollup.Backend.ZISK, adapter, vkey);
        (ISP1Verifier pending, bytes32 pendingKey, uint256 readyAt) = rollup.pendingChange(Rollup.Backend.ZISK);
        assertEq(address(pending), address(adapter));
        assertEq(pendingKey, vkey);
        assertEq(readyAt, uint256(at) + UPGRADE_DELAY);
    }

    function test_ownership_transfersInTwoSteps() public {
        address next = makeAddr("nextOwner");
        vm.prank(owner);
        rollup.transferOwnership(next);
        assertEq(rollup.owner(), owner);
        vm.prank(next);
        rollup.acceptOwnership();
        assertEq(rollup.owner(), next);
    }

    function testFuzz_ownership_onlyPendingOwnerAccepts(address other) public {
        address next = makeAddr("nextOwner");
        vm.assume(other != next);
        vm.prank(owner);
        rollup.transferOwnership(next);
        vm.prank(other);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, other));
        rollup.acceptOwnership();
    }

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                      ZISK BACKEND                          */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    function test_submitBatchWith_revertsForUnconfiguredBackend() public {
        _append(1);
        BatchHeader memory header = _header(1, keccak256("r"));
        vm.expectRevert(abi.encodeWithSelector(Rollup.BackendNotConfigured.selector, Rollup.Backend.ZISK));
        rollup.submitBatchWith(Rollup.Backend.ZISK, header, _noOpenings(), "");
    }

    function testFuzz_submitBatchWith_revertsForUnconfiguredBackend(bytes calldata proof) public {
        _append(1);
        BatchHeader memory header = _header(1, keccak256("r"));
        vm.expectRevert(abi.encodeWithSelector(Rollup.BackendNotConfigured.selector, Rollup.Backend.ZISK));
        rollup.submitBatchWith(Rollup.Backend.ZISK, header, _noOpenings(), proof);
    }

    function test_submitBatchWith_zisk_forwardsLimbsRootAndPublicValues() public {
        _enableZisk();
        _append(1);
        BatchHeader memory header = _header(1, keccak256("zisk-root"));
        bytes memory proof = hex"c0ffee";
        bytes memory expected = abi.encodeCall(
            IZiskVerifier.verifySnarkProof,
            ([uint64(1), 2, 3, 4], [uint64(11), 12, 13, 14], PublicValues.encode(header), proof)
        );
        vm.mockCall(zisk, expected, "");
        vm.expectCall(zisk, expected);
        rollup.submitBatchWith(Rollup.Backend.ZISK, header, _noOpenings(), proof);
        assertEq(rollup.stateRoot(), keccak256("zisk-root"));
    }

    function testFuzz_submitBatchWith_zisk_bubblesRejection(bytes calldata proof) public {
        _enableZisk();
        _append(1);
        BatchHeader memory header = _header(1, keccak256("zisk-root"));
        vm.mockCallRevert(zisk, abi.encodeWithSelector(IZiskVerifier.verifySnarkProof.selector), "bad proof");
        vm.expectRevert(bytes("bad proof"));
        rollup.submitBatchWith(Rollup.Backend.ZISK, header, _noOpenings(), proof);
        assertEq(rollup.stateRoot(), GENESIS);
    }

    function test_ziskAdapter_rejectsWhenVerifierHasNoCode() public {
        // No code at the ZisK address: the call returns nothing and must not count as acceptance.
        vm.expectRevert();
        adapter.verifyProof(ZISK_VKEY, "", "");
    }

    function testFuzz_ziskAdapter_splitsKeyIntoBigEndianLimbs(bytes32 key) public view {
        uint64[4] memory limbs = adapter.programVKeyLimbs(key);
        bytes32 joined = bytes32(abi.encodePacked(limbs[0], limbs[1], limbs[2], limbs[3]));
        assertEq(joined, key);
    }

    function test_ziskAdapter_splitsKeyIntoBigEndianLimbs() public view {
        uint64[4] memory limbs = adapter.programVKeyLimbs(ZISK_VKEY);
        assertEq(limbs[0], 1);
        assertEq(limbs[3], 4);
        uint64[4] memory root = adapter.rootCVadcopFinal();
        assertEq(root[0], 11);
        assertEq(root[3], 14);
    }
}
