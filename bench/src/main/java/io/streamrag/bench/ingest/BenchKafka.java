package io.streamrag.bench.ingest;

import io.streamrag.common.json.Json;
import io.streamrag.common.kafka.KafkaClientSettings;
import io.streamrag.ingest.extract.ContentTypes;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

import java.util.Base64;
import java.util.Properties;

/** Kafka plumbing the ingest benchmarks share: clients from the job's own settings, and inline PDF document events. */
final class BenchKafka {

    private BenchKafka() {}

    static Admin admin(Configuration conf) {
        return Admin.create(KafkaClientSettings.properties(conf));
    }

    /** A producer that sends at once and takes inline PDFs of up to 16 MiB. */
    static KafkaProducer<String, String> producer(Configuration conf) {
        Properties props = KafkaClientSettings.properties(conf);
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.put(ProducerConfig.LINGER_MS_CONFIG, "0");
        props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, String.valueOf(16 << 20));
        return new KafkaProducer<>(props);
    }

    /** An upsert event of {@code id} carrying {@code pdf} inline. */
    static ProducerRecord<String, String> pdfEvent(String topic, String tenant, String id, long version, byte[] pdf) {
        ObjectNode e = Json.MAPPER.createObjectNode();
        e.put("documentId", id).put("tenant", tenant).put("version", version).put("contentType", ContentTypes.PDF)
                .put("contentBase64", Base64.getEncoder().encodeToString(pdf));
        return new ProducerRecord<>(topic, id, Json.toString(e));
    }

    /** A benchmark argument given as {@code --key value}, or {@code fallback}. */
    static int intArg(Configuration conf, String key, int fallback) {
        return conf.get(ConfigOptions.key(key).intType().defaultValue(fallback));
    }
}
