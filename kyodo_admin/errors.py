"""Domain exceptions. Their message is shown to the user as it is (Japanese)."""

from __future__ import annotations


class KyodoError(Exception):
    """Base of the errors a user may see; ``str(exc)`` is a user-facing message."""


class ValidationFailed(KyodoError):
    """Input that breaks a rule; ``field`` names the form field when there is one."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class StaleRecord(KyodoError):
    """The record was changed by someone else since it was loaded."""

    def __init__(self, message: str = "") -> None:
        super().__init__(
            message
            or "この記録は、開いた後に他の利用者によって変更されました。"
            "あなたの変更は保存されていません。画面を開き直し、最新の内容を確認してから再度編集してください。"
        )


class CrossCityReference(KyodoError):
    """A record refers to (or is moved to) a row of another city."""

    def __init__(self, message: str = "") -> None:
        super().__init__(message or "他の自治体の記録は参照できません。")


class PermissionDenied(KyodoError):
    def __init__(self, message: str = "") -> None:
        super().__init__(message or "この操作を行う権限がありません。")


class TransitionNotAllowed(KyodoError):
    """A workflow transition not allowed from the current state or for the user's role."""


class DefinitionInvalid(KyodoError):
    """A form definition or template that fails its checks."""
