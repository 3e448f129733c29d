"""Prometheus remote-write 1.0 messages (prompb/remote.proto, types.proto), built in code.

No PyPI package ships them; the descriptor below holds only what remote-write 1.0 sends:
WriteRequest{timeseries=1, metadata=3}, TimeSeries{labels=1, samples=2}, Label, Sample and
MetricMetadata. Exemplars and native histograms are left out, so the parser skips them as unknown
fields.
"""

from __future__ import annotations

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

_F = descriptor_pb2.FieldDescriptorProto


def _message(name: str, *fields: tuple[str, int, int, int, str]) -> descriptor_pb2.DescriptorProto:
    msg = descriptor_pb2.DescriptorProto(name=name)
    for fname, number, ftype, label, type_name in fields:
        f = msg.field.add(name=fname, number=number, type=ftype, label=label)
        if type_name:
            f.type_name = type_name
    return msg


def _file() -> descriptor_pb2.FileDescriptorProto:
    opt, rep = _F.LABEL_OPTIONAL, _F.LABEL_REPEATED
    f = descriptor_pb2.FileDescriptorProto(name="otelhouse/prompb.proto", package="prometheus", syntax="proto3")
    f.message_type.extend(
        [
            _message("Label", ("name", 1, _F.TYPE_STRING, opt, ""), ("value", 2, _F.TYPE_STRING, opt, "")),
            _message("Sample", ("value", 1, _F.TYPE_DOUBLE, opt, ""), ("timestamp", 2, _F.TYPE_INT64, opt, "")),
            _message(
                "TimeSeries",
                ("labels", 1, _F.TYPE_MESSAGE, rep, ".prometheus.Label"),
                ("samples", 2, _F.TYPE_MESSAGE, rep, ".prometheus.Sample"),
            ),
            _message(
                "MetricMetadata",
                # MetricType: 0 UNKNOWN, 1 COUNTER, 2 GAUGE, 3 HISTOGRAM, 4 GAUGEHISTOGRAM, 5 SUMMARY,
                # 6 INFO, 7 STATESET; read as a plain int so an unknown type is not an error
                ("type", 1, _F.TYPE_INT32, opt, ""),
                ("metric_family_name", 2, _F.TYPE_STRING, opt, ""),
                ("help", 4, _F.TYPE_STRING, opt, ""),
                ("unit", 5, _F.TYPE_STRING, opt, ""),
            ),
            _message(
                "WriteRequest",
                ("timeseries", 1, _F.TYPE_MESSAGE, rep, ".prometheus.TimeSeries"),
                ("metadata", 3, _F.TYPE_MESSAGE, rep, ".prometheus.MetricMetadata"),
            ),
        ]
    )
    return f


_POOL = descriptor_pool.DescriptorPool()
_POOL.Add(_file())
WriteRequest = message_factory.GetMessageClass(_POOL.FindMessageTypeByName("prometheus.WriteRequest"))
