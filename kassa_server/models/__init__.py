"""The back office's database: SQLAlchemy 2 typed models. Importing this package registers every table."""

from kassa_server.models import tracking  # noqa: F401  (registers the change-tracking flush hook)
from kassa_server.models.base import Base
from kassa_server.models.catalog import (
    Barcode,
    Counterparty,
    Organization,
    Price,
    PriceType,
    Product,
    ProductGroup,
    Store,
    Unit,
)
from kassa_server.models.control import ApiToken, FaultRule
from kassa_server.models.documents import (
    CashOperation,
    MarkingCode,
    RawObject,
    Receipt,
    ReceiptLine,
    ReceiptPayment,
    Shift,
    ShiftReport,
)
from kassa_server.models.exchange_state import ExchangeNode, NodeMessage, NodeOrder, Tombstone
from kassa_server.models.infobases import Infobase, User
from kassa_server.models.journal import SoapCall
from kassa_server.models.orders import CustomerOrder, OrderLine
from kassa_server.models.registers import CashRegister
from kassa_server.models.retail import (
    AcquiringTerminal,
    Characteristic,
    DiscountCard,
    ItemKind,
    StockBalance,
    StockMovement,
)
from kassa_server.models.transfers import LongOperation, StoredFile, Transfer, TransferPart

__all__ = [
    "AcquiringTerminal",
    "ApiToken",
    "Barcode",
    "Base",
    "CashOperation",
    "CashRegister",
    "Characteristic",
    "Counterparty",
    "CustomerOrder",
    "DiscountCard",
    "ExchangeNode",
    "FaultRule",
    "Infobase",
    "ItemKind",
    "LongOperation",
    "MarkingCode",
    "NodeMessage",
    "NodeOrder",
    "OrderLine",
    "Organization",
    "Price",
    "PriceType",
    "Product",
    "ProductGroup",
    "RawObject",
    "Receipt",
    "ReceiptLine",
    "ReceiptPayment",
    "Shift",
    "ShiftReport",
    "SoapCall",
    "StockBalance",
    "StockMovement",
    "Store",
    "StoredFile",
    "Tombstone",
    "Transfer",
    "TransferPart",
    "Unit",
    "User",
]
