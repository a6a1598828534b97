from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

from ..models.readiness_status import ReadinessStatus

if TYPE_CHECKING:
    from ..models.read_model import ReadModel
    from ..models.readiness_services import ReadinessServices


T = TypeVar("T", bound="Readiness")


@_attrs_define
class Readiness:
    """
    Attributes:
        read_model (None | ReadModel): order_queries' lag (not a condition).
        services (ReadinessServices): Each service and its state: ok, or why it is not answering.
        status (ReadinessStatus):
    """

    read_model: None | ReadModel
    services: ReadinessServices
    status: ReadinessStatus

    def to_dict(self) -> dict[str, Any]:
        from ..models.read_model import ReadModel  # noqa: PLC0415

        read_model: dict[str, Any] | None
        if isinstance(self.read_model, ReadModel):
            read_model = self.read_model.to_dict()
        else:
            read_model = self.read_model

        services = self.services.to_dict()

        status = self.status.value

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "read_model": read_model,
                "services": services,
                "status": status,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.read_model import ReadModel  # noqa: PLC0415
        from ..models.readiness_services import ReadinessServices  # noqa: PLC0415

        d = dict(src_dict)

        def _parse_read_model(data: object) -> None | ReadModel:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                read_model_type_0 = ReadModel.from_dict(data)

                return read_model_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | ReadModel, data)

        read_model = _parse_read_model(d.pop("read_model"))

        services = ReadinessServices.from_dict(d.pop("services"))

        status = ReadinessStatus(d.pop("status"))

        readiness = cls(
            read_model=read_model,
            services=services,
            status=status,
        )

        return readiness
