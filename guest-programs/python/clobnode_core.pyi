"""Type stubs for `clobnode_core`, the Rust core of clobnode (guest-programs/core).

Conventions: addresses, hashes, payloads and blobs go IN as `bytes`; addresses and hashes in
returned dicts come OUT as lowercase "0x" hex strings; amounts, prices, quantities and nonces
are Python ints. Wire formats are defined in docs/PROTOCOL.md.
"""

from typing import Literal, NotRequired, TypeAlias, TypedDict, final

class MissingBlobError(ValueError):
    """A blob batch names a blob that was not provided (message: "missing blob 0x<hash>")."""

class Market(TypedDict):
    """A market going in (Engine.genesis); the optional parameters default to the core's
    (PROTOCOL.md section 5). Engine.markets() returns them as MarketInfo."""

    id: int
    base: bytes  # token address (20 bytes)
    quote: bytes
    base_lot: int  # base atoms per lot
    quote_tick: int  # quote atoms per lot per tick
    min_size: NotRequired[int]
    max_size: NotRequired[int]
    maker_fee_bps: NotRequired[int]
    taker_fee_bps: NotRequired[int]
    fee_recipient: NotRequired[bytes]
    band_bps: NotRequired[int]
    band_window: NotRequired[int]
    halt_seconds: NotRequired[int]
    max_open_orders: NotRequired[int]
    max_fills: NotRequired[int]

class InboxEntry(TypedDict):
    index: int  # must continue the inbox: inbox_next_index(), +1, ...
    kind: int  # 1 direct, 2 signed, 3 deposit, 4 blob batch (others: rejected UNKNOWN_KIND)
    sender: bytes  # 20 bytes
    l1_block: int
    l1_timestamp: int
    payload: bytes

class Event(TypedDict, total=False):
    """Every event has `index` and `type`; messages of a blob batch also carry `position`.

    deposit:   trader, token, amount
    withdrawal: trader, token, amount
    accepted:  trader, market, side ("buy"/"sell"), order_type, time_in_force, stp, price,
               quantity, trigger_price, display_quantity, nonce, expiry, client_order_id
    triggered: trader, market, nonce, last_price
    fill:      market, maker, maker_nonce, taker, taker_nonce, price, quantity, taker_side,
               maker_fee, taker_fee
    cancelled: trader, market, nonce, remaining, reason, code
    reduced / self_trade / cancelled_all / halted: see PROTOCOL.md section 6
    rejected:  reason (e.g. "BAD_SIGNATURE"), code (1..12, PROTOCOL.md section 6)
    batch:     messages (count of envelopes in the blob batch)
    """

    index: int
    position: int
    type: Literal["deposit", "withdrawal", "accepted", "triggered", "fill", "cancelled", "reduced",
                  "self_trade", "cancelled_all", "halted", "rejected", "batch"]
    trader: str
    token: str
    amount: int
    market: int
    side: Literal["buy", "sell"]
    order_type: str
    time_in_force: str
    stp: str
    price: int
    quantity: int
    trigger_price: int
    display_quantity: int
    nonce: int
    expiry: int
    client_order_id: int
    last_price: int
    maker: str
    maker_nonce: int
    maker_client_order_id: int
    taker: str
    taker_nonce: int
    taker_client_order_id: int
    taker_side: Literal["buy", "sell"]
    maker_fee: int
    taker_fee: int
    remaining: int
    reason: str
    code: int
    count: int
    reference_price: int
    until: int
    message: str  # rejected: the kind of message rejected, when it could be decoded
    messages: int

class Level(TypedDict):
    price: int
    quantity: int  # lots at this price
    orders: int

class Book(TypedDict):
    market: int
    bids: list[Level]  # best (highest) first
    asks: list[Level]  # best (lowest) first

class OpenOrder(TypedDict):
    market: int
    side: Literal["buy", "sell"]
    price: int
    quantity: int  # remaining lots
    visible: int  # lots shown on the book (0 for a stop order)
    nonce: int
    client_order_id: int
    trigger_price: int

class Balance(TypedDict):
    token: str
    available: int
    locked: int

class MarketInfo(TypedDict):
    id: int
    base: str
    quote: str
    base_lot: int
    quote_tick: int
    min_size: int
    max_size: int
    maker_fee_bps: int
    taker_fee_bps: int
    fee_recipient: str
    band_bps: int
    band_window: int
    halt_seconds: int
    max_open_orders: int
    max_fills: int

class GenesisConfig(TypedDict):
    chain_id: int
    inbox: str
    vault: str

class OrderMessage(TypedDict):
    """Enum fields as their wire bytes (see encode_order)."""

    type: Literal["order"]
    market: int
    side: int  # 0 buy, 1 sell (the wire value)
    order_type: int
    time_in_force: int
    stp: int
    price: int
    quantity: int
    trigger_price: int
    display_quantity: int
    nonce: int
    expiry: int
    client_order_id: int

class CancelMessage(TypedDict):
    type: Literal["cancel"]
    market: int
    order_nonce: int

class CancelAllMessage(TypedDict):
    type: Literal["cancel_all"]
    market: int
    nonce: int

class ReplaceMessage(TypedDict):
    type: Literal["replace"]
    market: int
    order_nonce: int
    nonce: int
    price: int
    quantity: int

Message: TypeAlias = OrderMessage | CancelMessage | CancelAllMessage | ReplaceMessage

class DecodedEnvelope(TypedDict):
    trader: str
    message: Message
    signature: str

class PublicValues(TypedDict):
    """Going in (encode_public_values), the roots/accs may be `bytes` (32) or "0x" hex strings."""

    prev_state_root: bytes | str
    new_state_root: bytes | str
    inbox_start: int
    inbox_end: int  # exclusive
    inbox_start_acc: bytes | str
    inbox_end_acc: bytes | str
    withdrawals_root: bytes | str
    blobs_hash: bytes | str  # PROTOCOL.md section 13; zero when the range reads no blob

class DecodedPublicValues(TypedDict):
    """Coming out (decode_public_values): roots and accs as "0x" hex strings."""

    prev_state_root: str
    new_state_root: str
    inbox_start: int
    inbox_end: int  # exclusive
    inbox_start_acc: str
    inbox_end_acc: str
    withdrawals_root: str
    blobs_hash: str

class BlobOpening(TypedDict):
    """(versionedHash, z, y) of one blob going in (blobs_hash): `bytes` (32) or "0x" hex."""

    versioned_hash: bytes | str
    z: bytes | str
    y: bytes | str

class BlobOpeningHex(TypedDict):
    """(versionedHash, z, y) of one blob coming out, "0x" hex (PROTOCOL.md section 13)."""

    versioned_hash: str
    z: str
    y: str

class Preview(TypedDict, total=False):
    """Engine.preview: `reason` and `code` of the rejection a message would get, or else the
    `token` ("0x" hex; None: nothing) and `amount` it would lock."""

    reason: str
    code: int
    token: str | None
    amount: int

class BalanceProof(TypedDict):
    available: int
    locked: int
    path: bytes
    leaf: bytes
    siblings: list[bytes]
    root: bytes

class WorkloadStats(TypedDict):
    resting_orders: int
    traders: int
    planted: bool
    leaves: int
    range_entries: int
    records_reached: int
    leaves_changed: int
    witness_bytes: int
    input_bytes: int
    events: list[tuple[str, int]]  # (event type, count)
    build_s: float
    commit_s: float
    native_guest_s: float

#: A state leaf `(key, value)`; value None: the leaf is absent.
LeafValue: TypeAlias = tuple[bytes, bytes | None]

@final
class Engine:
    """The exchange state, advanced only by the core's state transition."""

    @staticmethod
    def genesis(chain_id: int, inbox: bytes, vault: bytes, markets: list[Market], seed: int | None = None) -> Engine:
        """Raises ValueError for duplicate ids, a zero lot/tick, or base == quote; KeyError for a
        missing market field. `seed`: of the state's hash tables (default: from the OS)."""
    @staticmethod
    def restore(records: list[tuple[bytes, bytes]], seed: int | None = None) -> Engine:
        """The state from its stored leaves `[(key, value)]`, each key once. Raises ValueError
        if they are not a valid state."""
    def records(self) -> list[tuple[bytes, bytes]]:
        """Every leaf of the state: `[(key, value)]`, sorted by key."""
    def commit(self) -> tuple[bytes, list[LeafValue], list[bytes]]:
        """Updates the state tree with what was applied since the last commit (one L1 block):
        `(root, changed [(key, value or None)], accessed [key])`."""
    def revert(self, values: list[LeafValue]) -> None:
        """Sets leaves back to earlier values (a reorg's rollback); ValueError for an invalid leaf."""
    def root_with(self, values: list[LeafValue]) -> bytes:
        """The root the tree had when `values` were its leaves."""
    def witness(self, keys: list[bytes], start: list[LeafValue], end: list[LeafValue]) -> bytes:
        """The witness of a range that reached `keys`, from the tree at its start to the tree at
        its end, each given by the leaves changed since, as they were (PROTOCOL.md section 9)."""
    def state_root(self) -> bytes: ...
    def inbox_next_index(self) -> int: ...
    def inbox_acc(self) -> bytes:
        """acc[inbox_next_index() - 1], all zero before the first entry."""
    def recover_signers(self, entries: list[InboxEntry], blobs: dict[bytes, bytes]) -> int:
        """Recovers the signers of every message in `entries` on every core (GIL released, state
        unlocked) and keeps them for this thread's next `apply_entries`, which uses them instead
        of computing them again: the same answers, computed earlier. Returns how many were kept
        (0 below 64 messages, or for entries that do not continue the inbox)."""
    def apply_entries(self, entries: list[InboxEntry], blobs: dict[bytes, bytes]) -> list[Event]:
        """Applies entries continuing the inbox; `blobs` maps versioned hash -> blob bytes.

        Raises ValueError if an entry's index is not the next inbox index, MissingBlobError
        (a ValueError) if a blob batch names a blob not in `blobs`; the state is then unchanged.
        Invalid inputs never raise: they are `rejected` events.
        """
    def market_data(self, market: int) -> dict[str, object]:
        """best_bid, best_ask, last_trade {price, quantity, timestamp} | None, halted_until,
        ohlcv_24h {open, high, low, close, volume, quote_volume} | None, timestamp."""
    def balance_proof(self, trader: bytes, token: bytes, values: list[LeafValue] | None = None) -> BalanceProof | None:
        """The leaf of (trader, token) and its branch in the tree with `values` (the leaves changed
        since, as they were) set (PROTOCOL.md section 12). None for a zero balance (no leaf)."""
    def apply_batch(self, inputs: bytes, l1_timestamp: int) -> bytes:
        """Benchmarks/simulation only: applies `trader(20) ‖ len(u16) ‖ message` frames with no
        inbox accounting and no signatures. Returns 25-byte records `type(u8) ‖ a ‖ b ‖ c`
        (u64s): 1 accepted (nonce, price, qty), 2 fill (maker nonce, price, qty), 3 cancelled
        (nonce, remaining, reason code), 4 rejected (code), 5 other."""
    def book(self, market: int, depth: int) -> Book:
        """Raises ValueError for an unknown market."""
    def preview(self, trader: bytes, message: bytes, now: int) -> Preview:
        """Whether `trader`'s encoded `message` would pass the engine's checks at L1 time `now`,
        changing nothing. ValueError for a malformed message."""
    def open_orders(self, trader: bytes) -> list[OpenOrder]: ...
    def balances(self, trader: bytes) -> list[Balance]:
        """Non-zero balances only, by token."""
    def last_nonce(self, trader: bytes) -> int: ...
    def markets(self) -> list[MarketInfo]: ...
    def genesis_config(self) -> GenesisConfig: ...

def encode_order(
    market: int, side: int, price: int, quantity: int, nonce: int, expiry: int = 0, *,
    order_type: int = 0, time_in_force: int = 0, stp: int = 0, trigger_price: int = 0,
    display_quantity: int = 0, client_order_id: int = 0,
) -> bytes:
    """The 65-byte order message (PROTOCOL.md section 2); side 0 buy / 1 sell, order_type 0 limit /
    1 market, time_in_force 0 GTC / 1 IOC / 2 FOK / 3 post-only, stp 0 cancel taker / 1 cancel
    maker / 2 decrement both (ValueError otherwise). Defaults: a plain limit GTC order."""

def encode_cancel_all(market: int, nonce: int) -> bytes:
    """The 13-byte cancel-all message; market 0xffffffff = every market."""

def encode_replace(market: int, order_nonce: int, nonce: int, price: int, quantity: int) -> bytes:
    """The 37-byte replace message (reduce in place, or cancel and place anew)."""

def withdrawal_leaf(trader: bytes, token: bytes, amount: int, inbox_index: int) -> bytes:
    """keccak(trader ‖ token ‖ amount(uint256) ‖ inboxIndex(uint64)) (PROTOCOL.md section 11)."""

def withdrawals_tree(leaves: list[bytes]) -> tuple[bytes, list[list[bytes]]]:
    """(root, proof per leaf) of the sorted-pair tree (section 10); (zero, []) for no leaf."""

def encode_cancel(market: int, order_nonce: int) -> bytes:
    """The 13-byte cancel message."""

def encode_envelope(trader: bytes, message: bytes, signature: bytes) -> bytes:
    """trader(20) ‖ message ‖ signature(65); ValueError if the message is malformed."""

def decode_envelope(envelope: bytes) -> DecodedEnvelope:
    """ValueError("malformed envelope") if malformed. The signature is not checked."""

def decode_message(message: bytes) -> Message:
    """ValueError("malformed message") if malformed."""

def typed_data_digest(chain_id: int, inbox: bytes, trader: bytes, message: bytes) -> bytes:
    """The EIP-712 hash a wallet signs for `message` (ValueError if malformed)."""

def recover_envelope_signer(chain_id: int, inbox: bytes, envelope: bytes) -> str | None:
    """The recovered signer ("0x" hex); None if malformed, invalid, or high-s. Not compared
    with the envelope's trader: see verify_envelope."""

def verify_envelope(chain_id: int, inbox: bytes, envelope: bytes) -> bool:
    """Whether the envelope is well-formed and signed by its own trader."""

def verify_envelopes(chain_id: int, inbox: bytes, envelopes: list[bytes]) -> list[bool]:
    """`verify_envelope` of each, in order (the GIL released for all of them)."""

def encode_blob_batch(envelopes: list[bytes]) -> list[bytes]:
    """The batch packed into blobs of exactly 131072 bytes (at least one)."""

def decode_blob_batch(blobs: list[bytes]) -> list[bytes] | None:
    """The envelopes (undecoded) of a batch, or None if the batch is malformed."""

def blob_batch_capacity() -> int:
    """Batch bytes per blob: 4096 × 31 = 126976."""

def entry_hash(kind: int, sender: bytes, l1_block: int, l1_timestamp: int, payload: bytes) -> bytes: ...
def next_acc(prev_acc: bytes, entry_hash: bytes) -> bytes: ...
def encode_public_values(values: PublicValues) -> bytes:
    """The 256-byte ABI encoding the Rollup verifies (PROTOCOL.md section 8)."""

def decode_public_values(encoded: bytes) -> DecodedPublicValues:
    """Roots and accs as "0x" hex strings; ValueError unless 256 bytes with uint64s in range."""

class AggregateHeader(TypedDict):
    """What the aggregation program commits (PROTOCOL.md section 14); hashes as "0x" hex."""

    range_vkey: str  # SP1's bytes32() form of the range program's key
    prev_state_root: str
    new_state_root: str
    inbox_start: int
    inbox_end: int  # exclusive
    inbox_start_acc: str
    inbox_end_acc: str
    range_count: int
    ranges_hash: str  # keccak of the ranges' public values, in order
    encoded: bytes  # the 288-byte ABI encoding the Rollup verifies

def encode_aggregation_input(range_vkey_words: bytes, ranges: list[bytes]) -> bytes:
    """The aggregation program's input: the 32-byte key digest (8 big-endian u32 words, the
    host's `vkeyWords`), then each range's 256 public-value bytes (PROTOCOL.md section 14)."""

def aggregate_ranges(input: bytes) -> AggregateHeader:
    """The header the aggregation program commits for `input`; ValueError naming the failed
    check (InvalidLength, RangeCount, NonCanonicalVKeyWord, InvalidRange, EmptyRange, BrokenChain)."""

def encode_guest_input(witness: bytes, entries: list[InboxEntry], blobs: dict[bytes, bytes], seed: int) -> bytes:
    """postcard(GuestInput{witness, entries, blobs, seed}) (PROTOCOL.md section 9); entries must
    continue the witness's inbox; `seed`: of the proof's hash tables."""

def execute_guest_input(guest_input: bytes) -> bytes:
    """Runs the guest program natively; returns the 256 public-value bytes. ValueError for an
    invalid input or a blob that cannot be opened, MissingBlobError for a missing blob."""

def open_blob(versioned_hash: bytes, blob: bytes) -> BlobOpeningHex:
    """z = keccak(versionedHash ‖ keccak(blob)) mod BLS_MODULUS and y = p(z) (barycentric, the
    guest's code). ValueError for a blob that is not 131072 bytes or not canonical."""

def guest_input_blob_openings(guest_input: bytes) -> list[BlobOpeningHex]:
    """The openings the guest commits to for this input, in inbox and blob order."""

def blobs_hash(openings: list[BlobOpening]) -> bytes:
    """keccak over (versionedHash ‖ z ‖ y) of every opening; 32 zero bytes for none."""

def describe_state_key(key: bytes) -> str:
    """A state key's kind and fields, for logs and tests (ValueError if not a state key)."""

def prove_workload(resting: int, traders: int, planted: bool = False) -> tuple[bytes, WorkloadStats]:
    """Benchmarks only: (guest input, stats) of a 32-order range over an exchange of `resting`
    orders and `traders` traders (asks at colliding prices if `planted`)."""

def workload_engine(resting: int, traders: int, planted: bool = False) -> Engine:
    """Benchmarks only: the exchange of prove_workload as a committed engine (market 0)."""

def workload_trader(i: int) -> bytes:
    """The address of the workload's trader `i`."""
