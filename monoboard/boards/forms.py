"""Forms for the public pages. They only shape input; services validate and write."""

from __future__ import annotations

from django import forms

from monoboard.boards.services import BODY_MAX, COMMENT_MAX, TITLE_MAX


class PostForm(forms.Form):
    title = forms.CharField(
        max_length=TITLE_MAX,
        widget=forms.TextInput(attrs={"placeholder": "A short, descriptive title"}),
    )
    body = forms.CharField(
        required=False,
        max_length=BODY_MAX,
        widget=forms.Textarea(
            attrs={"rows": 5, "placeholder": "Details, examples, why it matters (Markdown)"}
        ),
    )


class PostEditForm(PostForm):
    tags = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, choices=[]
    )


class CommentForm(forms.Form):
    body = forms.CharField(
        max_length=COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "Add a comment (Markdown)"}),
    )
    official = forms.BooleanField(required=False)


class StatusForm(forms.Form):
    status = forms.IntegerField()
    note = forms.CharField(required=False, max_length=COMMENT_MAX)


class MergeForm(forms.Form):
    target = forms.IntegerField()
