//! The state root (PROTOCOL.md section 7): a Merkle root of balance leaves, so that an
//! account can be proven on L1, bound to a hash of the rest of the state.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use serde::Serialize;

use crate::book::Book;
use crate::inbox::InboxPosition;
use crate::keccak::keccak;
use crate::state::{Balance, GenesisConfig, Market, State};
use crate::{Address, Hash};

/// Everything but the balances, in the order its canonical encoding hashes it.
#[derive(Serialize)]
struct RestOfState<'a> {
    genesis: &'a GenesisConfig,
    markets: &'a BTreeMap<u32, Market>,
    books: &'a BTreeMap<u32, Book>,
    nonces: &'a BTreeMap<Address, u64>,
    supply: &'a BTreeMap<Address, u128>,
    inbox: &'a InboxPosition,
}

/// `keccak(address ‖ token ‖ available(u128) ‖ locked(u128))`.
pub fn balance_leaf(trader: &Address, token: &Address, balance: &Balance) -> Hash {
    keccak(&[trader, token, &balance.available.to_be_bytes(), &balance.locked.to_be_bytes()])
}

/// Binary keccak Merkle root over `leaves` padded with zero leaves to a power of two; zero
/// when there is no leaf.
pub fn merkle_root(mut leaves: Vec<Hash>) -> Hash {
    if leaves.is_empty() {
        return [0; 32];
    }
    leaves.resize(leaves.len().next_power_of_two(), [0; 32]);
    while leaves.len() > 1 {
        leaves = leaves.chunks(2).map(|pair| keccak(&[&pair[0], &pair[1]])).collect();
    }
    leaves[0]
}

pub fn balances_root(state: &State) -> Hash {
    merkle_root(state.balances.iter().map(|(trader, token, balance)| balance_leaf(trader, token, balance)).collect())
}

/// `keccak(balancesRoot ‖ keccak(postcard(rest of state)))`.
pub fn state_root(state: &State) -> Hash {
    let rest = RestOfState {
        genesis: &state.genesis,
        markets: &state.markets,
        books: &state.books,
        nonces: &state.nonces,
        supply: &state.supply,
        inbox: &state.inbox,
    };
    let encoded = postcard::to_allocvec(&rest).expect("serializing to a Vec cannot fail");
    keccak(&[&balances_root(state), &keccak(&[&encoded])])
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn merkle_root_of_nothing_is_zero_and_of_one_leaf_is_the_leaf() {
        assert_eq!(merkle_root(vec![]), [0; 32]);
        assert_eq!(merkle_root(vec![[7; 32]]), [7; 32]);
    }

    #[test]
    fn merkle_root_pads_three_leaves_with_a_zero_leaf() {
        let (a, b, c) = ([1; 32], [2; 32], [3; 32]);
        let expected = keccak(&[&keccak(&[&a, &b]), &keccak(&[&c, &[0; 32]])]);
        assert_eq!(merkle_root(vec![a, b, c]), expected);
    }
}
