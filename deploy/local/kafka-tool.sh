#!/usr/bin/env bash
# Run a Kafka tools class with the local broker's libs class path (fetched by services.sh).
#   deploy/local/kafka-tool.sh org.apache.kafka.tools.TopicCommand --bootstrap-server 127.0.0.1:9092 --list
#   deploy/local/kafka-tool.sh org.apache.kafka.tools.TopicCommand --bootstrap-server 127.0.0.1:9092 \
#       --create --topic docs --partitions 1 --replication-factor 1
#   deploy/local/kafka-tool.sh org.apache.kafka.tools.ConsoleProducer --bootstrap-server 127.0.0.1:9092 --topic docs
#   deploy/local/kafka-tool.sh org.apache.kafka.tools.consumer.ConsoleConsumer --bootstrap-server 127.0.0.1:9092 \
#       --topic docs --from-beginning --max-messages 10
# Tools log warnings to stderr; KAFKA_TOOL_HEAP_OPTS (default -Xmx256m) sets the heap.
set -euo pipefail
exec "$(dirname "${BASH_SOURCE[0]}")/services.sh" kafka-tool "$@"
