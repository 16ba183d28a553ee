"""The indicator API's shapes. Output serializers render plain dicts built by
`indicators.presenters`; every field is listed."""

from __future__ import annotations

from rest_framework import serializers

from core.serializers import StrictSerializer
from indicators.assessment import Outcome
from indicators.catalogue import PERSONS, STRENGTHS

MAX_CODES = 500


class AssessInputSerializer(StrictSerializer):
    codes = serializers.ListField(
        child=serializers.CharField(max_length=100),
        allow_empty=True,
        max_length=MAX_CODES,
        help_text="Indicator codes observed; order and repeats do not matter.",
    )


class CatalogueSummarySerializer(serializers.Serializer):
    id = serializers.CharField()
    version = serializers.CharField()
    person = serializers.ChoiceField(choices=PERSONS)
    form = serializers.CharField()
    language = serializers.CharField(help_text="The language of `title`.")
    title = serializers.CharField()
    languages = serializers.ListField(child=serializers.CharField())
    indicator_count = serializers.IntegerField()
    builtin = serializers.BooleanField(
        help_text="Shipped with the service (false: a national list)."
    )


class IndicatorSerializer(serializers.Serializer):
    code = serializers.CharField()
    strength = serializers.ChoiceField(choices=STRENGTHS)
    label = serializers.CharField()
    prompt = serializers.CharField(help_text="A question to read aloud.")
    rating_confirmed = serializers.BooleanField()
    rating_note = serializers.CharField(allow_blank=True)


class DimensionSerializer(serializers.Serializer):
    id = serializers.CharField()
    label = serializers.CharField()
    indicators = IndicatorSerializer(many=True)


class ClauseSerializer(serializers.Serializer):
    strong = serializers.IntegerField()
    medium = serializers.IntegerField()
    weak = serializers.IntegerField()
    medium_or_weak = serializers.IntegerField()


class DimensionRuleSerializer(serializers.Serializer):
    clauses = ClauseSerializer(many=True)
    source = serializers.CharField(allow_blank=True)


class CombinationRuleSerializer(serializers.Serializer):
    groups = serializers.ListField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Every group needs one positive dimension (any of the group).",
    )
    source = serializers.CharField(allow_blank=True)


class SourceSerializer(serializers.Serializer):
    citation = serializers.CharField()
    edition = serializers.CharField(allow_blank=True)
    urls = serializers.ListField(child=serializers.CharField())
    ratings_basis = serializers.CharField(allow_blank=True)


class CatalogueDetailSerializer(serializers.Serializer):
    id = serializers.CharField()
    version = serializers.CharField()
    person = serializers.ChoiceField(choices=PERSONS)
    form = serializers.CharField()
    language = serializers.CharField(help_text="The language of every text here.")
    machine_translation = serializers.BooleanField(
        help_text="The texts in this language are machine-quality translations."
    )
    title = serializers.CharField()
    languages = serializers.ListField(child=serializers.CharField())
    translation_quality = serializers.DictField(child=serializers.CharField())
    source = SourceSerializer()
    dimension_rule = DimensionRuleSerializer()
    combination_rule = CombinationRuleSerializer()
    dimensions = DimensionSerializer(many=True)


class CountsSerializer(serializers.Serializer):
    strong = serializers.IntegerField()
    medium = serializers.IntegerField()
    weak = serializers.IntegerField()


class DimensionResultSerializer(serializers.Serializer):
    dimension = serializers.CharField()
    positive = serializers.BooleanField()
    codes = serializers.ListField(child=serializers.CharField())
    counts = CountsSerializer()
    clause = serializers.DictField(
        child=serializers.IntegerField(),
        allow_null=True,
        help_text="The clause of the dimension rule that made it positive.",
    )


class AssessmentSerializer(serializers.Serializer):
    catalogue_id = serializers.CharField()
    catalogue_version = serializers.CharField()
    outcome = serializers.ChoiceField(choices=[o.value for o in Outcome])
    positive_dimensions = serializers.ListField(child=serializers.CharField())
    combination_met = serializers.BooleanField()
    codes = serializers.ListField(child=serializers.CharField())
    strong_codes = serializers.ListField(child=serializers.CharField())
    dimensions = DimensionResultSerializer(many=True)
    explanation = serializers.CharField()
