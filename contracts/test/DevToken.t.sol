// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {DevToken} from "../DevToken.sol";

contract DevTokenTest is Test {
    function test_mint_isOpenAndKeepsDecimals() public {
        DevToken token = new DevToken("Dev USD", "DUSD", 6);
        vm.prank(makeAddr("anyone"));
        token.mint(address(this), 5e6);
        assertEq(token.balanceOf(address(this)), 5e6);
        assertEq(token.decimals(), 6);
        assertEq(token.symbol(), "DUSD");
    }

    function testFuzz_mint_isOpenAndKeepsDecimals(address minter, address to, uint256 amount, uint8 decimals_) public {
        vm.assume(to != address(0));
        DevToken token = new DevToken("Dev", "DEV", decimals_);
        vm.prank(minter);
        token.mint(to, amount);
        assertEq(token.balanceOf(to), amount);
        assertEq(token.decimals(), decimals_);
    }
}
