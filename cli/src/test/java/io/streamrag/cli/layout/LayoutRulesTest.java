package io.streamrag.cli.layout;

import io.streamrag.common.config.ConfigKeys;
import io.streamrag.common.config.Configs;
import io.streamrag.common.metrics.ComponentMetrics;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import org.apache.flink.api.common.functions.Function;
import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.api.common.serialization.SerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.streaming.api.operators.StreamOperator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.assignableTo;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noFields;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The module and package layout as rules over the main classes of every module (the CLI's tests see them all):
 * cli → bench → jobs → common; no job depends on another job, the benchmarks, the CLI or the local model server;
 * common depends on none of them; inside a job, operators live in {@code functions}, metrics in {@code metrics}
 * (each metric one {@code MetricSpec} of a {@code ComponentMetrics} class) and Kafka (de)serializers in {@code io.kafka}.
 */
class LayoutRulesTest {

    private static final String COMMON = "io.streamrag.common..";
    private static final String INGEST = "io.streamrag.ingest..";
    private static final String QUERY = "io.streamrag.query..";
    private static final String MODEL = "io.streamrag.model..";
    private static final String BENCH = "io.streamrag.bench..";
    private static final String CLI = "io.streamrag.cli..";
    private static final String CLUSTER = "io.streamrag.cluster..";

    /** Flink functions and operators. */
    private static final DescribedPredicate<JavaClass> OPERATORS =
            assignableTo(Function.class).or(assignableTo(StreamOperator.class)).as("Flink functions and operators");

    /** What turns records into Kafka bytes and back. */
    private static final DescribedPredicate<JavaClass> SERIALIZERS = assignableTo(KafkaRecordSerializationSchema.class)
            .or(assignableTo(KafkaRecordDeserializationSchema.class))
            .or(assignableTo(SerializationSchema.class))
            .or(assignableTo(DeserializationSchema.class))
            .as("Kafka (de)serializers");

    private static JavaClasses classes;

    @BeforeAll
    static void importMainClasses() {
        classes = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("io.streamrag");
    }

    @Test
    void everyModuleIsImported() {
        // A rule over a package that was not imported would pass vacuously.
        for (String pkg : new String[] {"io.streamrag.common", "io.streamrag.ingest", "io.streamrag.query",
                "io.streamrag.model", "io.streamrag.bench", "io.streamrag.cli"}) {
            assertThat(classes.stream().anyMatch(c -> c.getPackageName().startsWith(pkg))).as(pkg).isTrue();
        }
    }

    @Test
    void commonDependsOnNoJobNorTool() {
        check(noClasses().that().resideInAPackage(COMMON)
                .should().dependOnClassesThat().resideInAnyPackage(INGEST, QUERY, MODEL, BENCH, CLI, CLUSTER));
    }

    @Test
    void ingestJobDependsOnCommonOnly() {
        check(noClasses().that().resideInAPackage(INGEST)
                .should().dependOnClassesThat().resideInAnyPackage(QUERY, MODEL, BENCH, CLI, CLUSTER));
    }

    @Test
    void queryJobDependsOnCommonOnly() {
        check(noClasses().that().resideInAPackage(QUERY)
                .should().dependOnClassesThat().resideInAnyPackage(INGEST, MODEL, BENCH, CLI, CLUSTER));
    }

    @Test
    void localModelServerIsStandalone() {
        check(noClasses().that().resideInAPackage(MODEL)
                .should().dependOnClassesThat().resideInAnyPackage(INGEST, QUERY, BENCH, CLI, CLUSTER));
    }

    @Test
    void onlyTheBenchmarksAndTheCliUseAJob() {
        check(noClasses().that().resideOutsideOfPackages(INGEST, BENCH, CLI)
                .should().dependOnClassesThat().resideInAPackage(INGEST));
        check(noClasses().that().resideOutsideOfPackages(QUERY, BENCH, CLI)
                .should().dependOnClassesThat().resideInAPackage(QUERY));
    }

    @Test
    void benchmarksDoNotUseTheCli() {
        check(noClasses().that().resideInAPackage(BENCH).should().dependOnClassesThat().resideInAPackage(CLI));
    }

    @Test
    void operatorsLiveInFunctionsAndDoNotReachIntoTheCli() {
        check(classes().that().resideInAnyPackage(INGEST, QUERY).and().areTopLevelClasses().and(OPERATORS)
                .should().resideInAPackage("..functions.."));
        check(noClasses().that(OPERATORS).should().dependOnClassesThat().resideInAnyPackage(CLI, BENCH));
    }

    @Test
    void metricsClassesLiveInMetrics() {
        check(classes().that().resideInAnyPackage(INGEST, QUERY).and().haveSimpleNameEndingWith("Metrics")
                .should().resideInAPackage("..metrics.."));
    }

    @Test
    void metricsAreStatedOnceAsSpecsOfAComponentMetricsClass() {
        check(classes().that().resideInAnyPackage(INGEST, QUERY).and().haveSimpleNameEndingWith("Metrics")
                .should().beAssignableTo(ComponentMetrics.class));
        check(noFields().that().areDeclaredInClassesThat().areAssignableTo(ComponentMetrics.class)
                .should().haveRawType(Counter.class).orShould().haveRawType(Histogram.class)
                .because("each metric is one MetricSpec constant (its name and kind), read with get(spec)"));
    }

    @Test
    void kafkaSerializersLiveInIoKafka() {
        check(classes().that().resideInAnyPackage(INGEST, QUERY).and().areTopLevelClasses().and(SERIALIZERS)
                .should().resideInAPackage("..io.kafka.."));
    }

    @Test
    void jobsReadTheirArgumentsCheckingTheKeys() {
        check(noClasses().that().resideInAnyPackage(INGEST, QUERY)
                .should().callMethod(Configs.class, "fromArgs", String[].class)
                .because("a job rejects unknown option keys: Configs.fromArgs(args, ConfigKeys.forJob(...)) ("
                        + ConfigKeys.class.getSimpleName() + ")"));
    }

    private static void check(ArchRule rule) {
        rule.check(classes);
    }
}
