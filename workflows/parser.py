"""The BPMN/DMN parser and the state serializer the service uses.

SpiffWorkflow's Camunda parser reads what Camunda Modeler writes (assignees,
form keys, decision references).  One departure: message events use the plain
BPMN message definition, whose payload is merged into the variables of the
catching task, rather than Camunda's, which stores it under one result variable.
"""

from __future__ import annotations

from copy import deepcopy

from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator, full_tag
from SpiffWorkflow.bpmn.parser.event_parsers import (
    BoundaryEventParser,
    EndEventParser,
    IntermediateCatchEventParser,
    IntermediateThrowEventParser,
    StartEventParser,
)
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.config import DEFAULT_CONFIG
from SpiffWorkflow.bpmn.specs.defaults import (
    BoundaryEvent,
    EndEvent,
    IntermediateCatchEvent,
    IntermediateThrowEvent,
    StartEvent,
)
from SpiffWorkflow.bpmn.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG
from SpiffWorkflow.camunda.specs.event_definitions import (
    MessageEventDefinition as CamundaMessageEventDefinition,
)

CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"


class AdvocacyParser(CamundaParser):
    """Camunda parser with plain BPMN message events (payload merged into variables)."""

    OVERRIDE_PARSER_CLASSES = {
        **CamundaParser.OVERRIDE_PARSER_CLASSES,
        full_tag("startEvent"): (StartEventParser, StartEvent),
        full_tag("endEvent"): (EndEventParser, EndEvent),
        full_tag("intermediateCatchEvent"): (IntermediateCatchEventParser, IntermediateCatchEvent),
        full_tag("intermediateThrowEvent"): (IntermediateThrowEventParser, IntermediateThrowEvent),
        full_tag("boundaryEvent"): (BoundaryEventParser, BoundaryEvent),
    }


_validator: BpmnValidator | None = None


def make_parser(validate: bool = True) -> AdvocacyParser:
    """A fresh parser; with ``validate`` every file is checked against the BPMN/DMN XSDs."""
    global _validator
    if validate and _validator is None:
        _validator = BpmnValidator()
    return AdvocacyParser(validator=_validator if validate else None)


def _serializer_config() -> dict:
    config = deepcopy(CAMUNDA_CONFIG)
    config.pop(CamundaMessageEventDefinition)
    config[MessageEventDefinition] = DEFAULT_CONFIG[MessageEventDefinition]
    return config


SERIALIZER = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(_serializer_config()))
