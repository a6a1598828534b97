"""The INVOICING section of the config: the seller, the tax table, the fonts of the PDFs."""

from dataclasses import dataclass

from nameko.extensions import DependencyProvider

from payments.documents import Seller
from payments.pdf import Fonts
from payments.tax import TaxRates


@dataclass(frozen=True)
class InvoicingConfig:
    seller: Seller
    rates: TaxRates
    fonts: Fonts
    pause_after_numbering: float = 0  # a test hook (payments/numbering.py)

    @classmethod
    def from_config(cls, config: dict) -> "InvoicingConfig":
        settings = config["INVOICING"]
        seller = settings["SELLER"]
        return cls(
            seller=Seller(str(seller["NAME"]), str(seller["ADDRESS"]), str(seller["VAT_ID"])),
            rates=TaxRates.from_config(settings["TAX_RATES"], settings["DEFAULT_TAX_RATE"]),
            fonts=Fonts.from_config(settings["FONTS"]),
            pause_after_numbering=float(settings.get("PAUSE_AFTER_NUMBERING_SECONDS") or 0),
        )


class Invoicing(DependencyProvider):
    """Declare as `invoicing = Invoicing()`: the settings, read and checked when the service starts
    (a missing font stops it there, not at the first PDF)."""

    def setup(self):
        self.settings = InvoicingConfig.from_config(self.container.config)

    def get_dependency(self, worker_ctx) -> InvoicingConfig:
        return self.settings
