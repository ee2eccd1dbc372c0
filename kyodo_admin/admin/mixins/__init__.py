"""The parts a back-office view is made of; ``admin/base.py`` composes them and a view
opts into the rest (workflow buttons, Word documents)."""

from .access import AccessMixin, LoginRequiredMixin
from .configured import ConfiguredFormMixin
from .documents import DocumentsMixin
from .export import ExportMixin
from .forms import FormMixin
from .workflow import WorkflowMixin

__all__ = ["AccessMixin", "ConfiguredFormMixin", "DocumentsMixin", "ExportMixin",
           "FormMixin", "LoginRequiredMixin", "WorkflowMixin"]
