"""The admin's privacy pages: what a site's retention removes, erasing a visitor, the log."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from supportcall.directory.models import Site

from . import retention
from .erasure import LABELS, Visitor, erase, plan
from .models import Erasure


def retention_preview(site: Site) -> str:
    """The counts per kind the site's policy removes now, and the way to erase a visitor."""
    link = format_html(
        '<p><a href="{}">{}</a></p>',
        reverse("admin:directory_site_erase", args=[site.pk]),
        gettext("Erase one visitor's data…"),
    )
    counts = retention.preview(site)
    if not counts:
        return format_html("<p>{}</p>{}", gettext("Every kind is kept for good."), link)
    labels = {step.kind: step.label for step in retention.STEPS}
    rows = format_html_join("", "<li>{}: {}</li>", ((labels[k], n) for k, n in counts.items()))
    return format_html("<ul>{}</ul>{}", rows, link)


class VisitorForm(forms.Form):
    identity = forms.CharField(
        required=False,
        max_length=254,
        label=_("Address"),
        help_text=_("As on the visitor's calls."),
    )
    sub = forms.CharField(
        required=False,
        max_length=254,
        label=_("Verified sub"),
        help_text=_("The sub the site's backend signed."),
    )

    def clean(self):
        data = super().clean() or {}
        if bool(data.get("identity", "").strip()) == bool(data.get("sub", "").strip()):
            raise forms.ValidationError(_("Give the visitor's address or its sub, not both."))
        return data


def erase_view(model_admin: admin.ModelAdmin, request: HttpRequest, site_id: str) -> HttpResponse:
    """A form taking an address or a sub; then a page listing what goes; then the erasure."""
    site = get_object_or_404(Site, pk=site_id)
    if not model_admin.has_change_permission(request, site):
        raise PermissionDenied
    form = VisitorForm(request.POST or None)
    shown = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        visitor = Visitor(site, identity=data["identity"].strip(), sub=data["sub"].strip())
        if request.POST.get("confirm") == "yes":
            record = erase(visitor, by=request.user.get_username())
            messages.success(
                request,
                gettext("Erased: %(counts)s.")
                % {"counts": ", ".join(f"{LABELS[k]} {n}" for k, n in record.counts.items())},
            )
            if record.skipped_in_progress:
                messages.warning(
                    request,
                    gettext("%(n)d calls in progress were left alone: erase again once they ended.")
                    % {"n": record.skipped_in_progress},
                )
            return HttpResponseRedirect(reverse("admin:directory_site_change", args=[site.pk]))
        shown = plan(visitor)
    context = {
        **model_admin.admin_site.each_context(request),
        "title": gettext("Erase one visitor's data"),
        "site_row": site,
        "form": form,
        "plan": [(LABELS[k], n) for k, n in shown.counts.items()] if shown else None,
        "in_progress": shown.in_progress if shown else 0,
        "opts": model_admin.model._meta,
    }
    return TemplateResponse(request, "admin/privacy/erase.html", context)


@admin.register(Erasure)
class ErasureAdmin(admin.ModelAdmin):
    list_display = ["at", "by", "site", "matched_by", "counts", "skipped_in_progress"]
    list_filter = ["matched_by"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # the log of erasures is an audit trail
