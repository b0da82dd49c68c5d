//! Traders' accounts: the last nonce, the balances and the per-market open-order counts of every
//! trader, under a dense id.
//!
//! An input resolves its trader's address to an [`AccountId`] once (one hash lookup); its
//! nonce, open-order count, lock and settlement are then plain indexing, and a fill resolves
//! only its maker (and the fee recipient once per order). Ids are an in-memory detail: nothing
//! observable depends on them. The canonical views ([`Accounts::nonces`],
//! [`Accounts::balances`], [`Accounts::open_orders_in`]) list non-zero entries sorted by
//! address (then token), exactly what the earlier address-keyed maps held (an entry at zero
//! was removed, so no history reaches the root).

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use serde::{Serialize, Serializer};

use crate::fast_map::FastMap;
use crate::Address;

/// A trader's available and locked amounts of one token.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Balance {
    pub available: u128,
    pub locked: u128,
}

/// Where an account is stored (valid for the life of the `Accounts` it came from).
pub type AccountId = u32;

/// One trader: last accepted nonce (0: none), balances by token and resting plus stop orders
/// by market (zero entries are kept for reuse and left out of every view). A trader holds a
/// handful of tokens and trades in a handful of markets, so a scan beats a map.
#[derive(Clone, Debug)]
struct Account {
    trader: Address,
    nonce: u64,
    balances: Vec<(Address, Balance)>,
    open_orders: Vec<(u32, u32)>,
}

impl Account {
    #[inline]
    fn balance(&self, token: &Address) -> Balance {
        self.balances.iter().find(|(held, _)| held == token).map_or(Balance::default(), |(_, balance)| *balance)
    }

    #[inline]
    fn balance_mut(&mut self, token: &Address) -> &mut Balance {
        let at = match self.balances.iter().position(|(held, _)| held == token) {
            Some(at) => at,
            None => {
                self.balances.push((*token, Balance::default()));
                self.balances.len() - 1
            }
        };
        &mut self.balances[at].1
    }
}

/// Every trader's account: an address index over a dense list.
#[derive(Clone, Debug, Default)]
pub struct Accounts {
    index: FastMap<Address, AccountId>,
    list: Vec<Account>,
}

impl PartialEq for Accounts {
    /// Equal when the canonical views are (ids and zero entries are not state).
    fn eq(&self, other: &Accounts) -> bool {
        self.nonces() == other.nonces()
            && self.balances().eq(other.balances())
            && self.all_open_orders() == other.all_open_orders()
    }
}

impl Eq for Accounts {}

impl Accounts {
    /// The trader's account, if it was ever opened.
    #[inline]
    pub fn find(&self, trader: &Address) -> Option<AccountId> {
        self.index.get(trader).copied()
    }

    /// The trader's account, opened empty if new.
    #[inline]
    pub fn open(&mut self, trader: &Address) -> AccountId {
        if let Some(id) = self.find(trader) {
            return id;
        }
        let id = AccountId::try_from(self.list.len()).expect("fewer than 2^32 accounts");
        self.list.push(Account { trader: *trader, nonce: 0, balances: Vec::new(), open_orders: Vec::new() });
        self.index.insert(*trader, id);
        id
    }

    #[inline]
    pub fn nonce(&self, id: AccountId) -> u64 {
        self.list[id as usize].nonce
    }

    #[inline]
    pub fn set_nonce(&mut self, id: AccountId, nonce: u64) {
        self.list[id as usize].nonce = nonce;
    }

    /// The trader's last accepted nonce (0: none).
    pub fn last_nonce(&self, trader: &Address) -> u64 {
        self.find(trader).map_or(0, |id| self.nonce(id))
    }

    pub fn balance(&self, trader: &Address, token: &Address) -> Balance {
        self.find(trader).map_or(Balance::default(), |id| self.list[id as usize].balance(token))
    }

    #[inline]
    pub fn balance_at(&self, id: AccountId, token: &Address) -> Balance {
        self.list[id as usize].balance(token)
    }

    /// Moves `amount` from available to locked; `false` (and no change) if not available.
    #[inline]
    pub fn lock(&mut self, id: AccountId, token: &Address, amount: u128) -> bool {
        let balance = self.list[id as usize].balance_mut(token);
        if balance.available < amount {
            return false;
        }
        balance.available -= amount;
        balance.locked += amount;
        true
    }

    /// Moves `amount` of locked funds back to available. The caller unlocks only what an
    /// accepted order locked, and no balance exceeds the token's supply (< 2^128).
    #[inline]
    pub fn unlock(&mut self, id: AccountId, token: &Address, amount: u128) {
        if amount > 0 {
            let balance = self.list[id as usize].balance_mut(token);
            balance.locked -= amount;
            balance.available += amount;
        }
    }

    /// Takes `amount` out of locked funds (the caller credits it elsewhere).
    #[inline]
    pub fn spend_locked(&mut self, id: AccountId, token: &Address, amount: u128) {
        if amount > 0 {
            self.list[id as usize].balance_mut(token).locked -= amount;
        }
    }

    /// Credits `amount` to available funds (paid out of someone's locked funds or a deposit).
    #[inline]
    pub fn credit(&mut self, id: AccountId, token: &Address, amount: u128) {
        if amount > 0 {
            self.list[id as usize].balance_mut(token).available += amount;
        }
    }

    /// Takes `amount` out of available funds; `false` (no change) if not available.
    pub fn debit(&mut self, id: AccountId, token: &Address, amount: u128) -> bool {
        let balance = self.list[id as usize].balance_mut(token);
        if balance.available < amount {
            return false;
        }
        balance.available -= amount;
        true
    }

    /// The trader's resting plus stop orders in `market`.
    #[inline]
    pub fn open_count(&self, id: AccountId, market: u32) -> u32 {
        let open = &self.list[id as usize].open_orders;
        open.iter().find(|(held, _)| *held == market).map_or(0, |(_, count)| *count)
    }

    /// Adds `delta` to the trader's open orders in `market` (saturating at zero).
    #[inline]
    pub fn count_open(&mut self, id: AccountId, market: u32, delta: i32) {
        let open = &mut self.list[id as usize].open_orders;
        let at = match open.iter().position(|(held, _)| *held == market) {
            Some(at) => at,
            None => {
                open.push((market, 0));
                open.len() - 1
            }
        };
        open[at].1 = open[at].1.saturating_add_signed(delta);
    }

    /// Traders with open orders in `market` and their counts, sorted by trader.
    pub fn open_orders_in(&self, market: u32) -> Vec<(&Address, u32)> {
        self.sorted()
            .into_iter()
            .filter_map(|account| Some((&account.trader, account.open_orders.iter().find(|(m, _)| *m == market)?.1)))
            .filter(|(_, count)| *count != 0)
            .collect()
    }

    /// Every non-zero `(trader, market, count)`, sorted.
    fn all_open_orders(&self) -> Vec<(&Address, u32, u32)> {
        let mut all: Vec<(&Address, u32, u32)> = self
            .list
            .iter()
            .flat_map(|a| a.open_orders.iter().filter(|(_, n)| *n != 0).map(move |(m, n)| (&a.trader, *m, *n)))
            .collect();
        all.sort_unstable();
        all
    }

    /// Sets the open-order count of a decoded snapshot; `false` if zero (never encoded).
    pub(crate) fn restore_open_count(&mut self, trader: &Address, market: u32, count: u32) -> bool {
        let id = self.open(trader);
        self.list[id as usize].open_orders.push((market, count));
        count != 0
    }

    /// Accounts sorted by trader (O(n log n): for encodings, roots and queries, not inputs).
    fn sorted(&self) -> Vec<&Account> {
        let mut accounts: Vec<&Account> = self.list.iter().collect();
        accounts.sort_unstable_by(|a, b| a.trader.cmp(&b.trader));
        accounts
    }

    /// The place of every account in address order, by account id (for encodings that list
    /// traders' entries sorted by address).
    pub fn ranks(&self) -> Vec<u32> {
        let mut ranks = alloc::vec![0u32; self.list.len()];
        let mut ids: Vec<u32> = (0..self.list.len() as u32).collect();
        ids.sort_unstable_by(|a, b| self.list[*a as usize].trader.cmp(&self.list[*b as usize].trader));
        for (rank, id) in ids.into_iter().enumerate() {
            ranks[id as usize] = rank as u32;
        }
        ranks
    }

    /// Every non-zero `lastNonce`, sorted by trader.
    pub fn nonces(&self) -> Vec<(&Address, &u64)> {
        self.sorted().into_iter().filter(|account| account.nonce != 0).map(|account| (&account.trader, &account.nonce)).collect()
    }

    /// Every non-zero `(trader, token, balance)`, sorted by trader then token.
    pub fn balances(&self) -> impl Iterator<Item = (&Address, &Address, &Balance)> {
        self.sorted().into_iter().flat_map(|account| {
            sorted_balances(account).into_iter().map(move |(token, balance)| (&account.trader, token, balance))
        })
    }

    /// The number of non-zero balances.
    pub fn balance_count(&self) -> usize {
        self.list.iter().map(|account| account.balances.iter().filter(|(_, b)| *b != Balance::default()).count()).sum()
    }

    /// The trader's non-zero balances, by token.
    pub fn balances_of(&self, trader: &Address) -> impl Iterator<Item = (&Address, &Balance)> {
        self.find(trader).map(|id| sorted_balances(&self.list[id as usize])).unwrap_or_default().into_iter()
    }

    /// Rebuilds accounts from the canonical maps; `None` if one holds a zero nonce or a zero
    /// balance (a canonical encoding never does, and it could not re-encode to the same bytes).
    pub fn from_canonical(nonces: BTreeMap<Address, u64>, balances: BTreeMap<(Address, Address), Balance>) -> Option<Accounts> {
        let mut accounts = Accounts::default();
        for (trader, nonce) in nonces {
            if nonce == 0 {
                return None;
            }
            let id = accounts.open(&trader);
            accounts.set_nonce(id, nonce);
        }
        for ((trader, token), balance) in balances {
            if balance == Balance::default() {
                return None;
            }
            let id = accounts.open(&trader);
            *accounts.list[id as usize].balance_mut(&token) = balance;
        }
        Some(accounts)
    }
}

/// Serializes as the canonical `nonces` map (trader -> lastNonce, sorted by trader).
pub(crate) struct NoncesMap<'a>(pub &'a Accounts);

impl Serialize for NoncesMap<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.nonces())
    }
}

/// Serializes as the canonical `balances` map ((trader, token) -> balance, sorted).
pub(crate) struct BalancesMap<'a>(pub &'a Accounts);

impl Serialize for BalancesMap<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let balances: Vec<_> = self.0.balances().map(|(trader, token, balance)| ((trader, token), balance)).collect();
        serializer.collect_map(balances)
    }
}

fn sorted_balances(account: &Account) -> Vec<(&Address, &Balance)> {
    let mut held: Vec<(&Address, &Balance)> =
        account.balances.iter().filter(|(_, balance)| *balance != Balance::default()).map(|(t, b)| (t, b)).collect();
    held.sort_unstable_by(|a, b| a.0.cmp(b.0));
    held
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_balances_and_nonces_are_not_listed() {
        let mut accounts = Accounts::default();
        let id = accounts.open(&[1; 20]);
        accounts.credit(id, &[9; 20], 5);
        assert!(accounts.lock(id, &[9; 20], 5));
        accounts.spend_locked(id, &[9; 20], 5);
        accounts.open(&[2; 20]);
        assert_eq!(accounts.balances().count(), 0);
        assert!(accounts.nonces().is_empty());
        assert_eq!(accounts, Accounts::default());
    }

    #[test]
    fn views_are_sorted_by_trader_then_token() {
        let mut accounts = Accounts::default();
        for (trader, token) in [(3u8, 2u8), (1, 7), (3, 1), (1, 4)] {
            let id = accounts.open(&[trader; 20]);
            accounts.credit(id, &[token; 20], 1);
        }
        let listed: Vec<(u8, u8)> = accounts.balances().map(|(t, k, _)| (t[0], k[0])).collect();
        assert_eq!(listed, [(1, 4), (1, 7), (3, 1), (3, 2)]);
        assert!(!accounts.lock(accounts.find(&[1; 20]).unwrap(), &[4; 20], 2));
    }
}
