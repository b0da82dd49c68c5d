// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {Vault} from "../../Vault.sol";

/// @notice Test token whose `transferFrom` first calls back into `Vault.deposit`.
contract ReentrantToken is ERC20 {
    constructor() ERC20("Reentrant", "RE") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function transferFrom(address from, address to, uint256 value) public override returns (bool) {
        Vault(to).deposit(address(this), value);
        return super.transferFrom(from, to, value);
    }
}
