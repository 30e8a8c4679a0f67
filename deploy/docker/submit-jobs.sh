#!/usr/bin/env bash
# Submits the StreamRAG ingest and query jobs to the Flink session cluster.
#
# Runs inside the submit-jobs one-shot container (see docker-compose.yml).
# Idempotent: a job whose name is already RUNNING/RESTARTING/CREATED is not
# submitted again, so `docker compose up` can be re-run safely. To replace a
# running job (e.g. after changing STREAMRAG_QUERY_ENDPOINTS) list it in
# STREAMRAG_REPLACE_JOBS ("ingest", "query" or "ingest query"); it is cancelled
# first and then submitted with the current arguments.
#
# Every setting comes from the environment:
#   FLINK_JOBMANAGER                 REST address of the JobManager (jobmanager:8081)
#   STREAMRAG_VERSION                jar version suffix (0.1.0-SNAPSHOT)
#   STREAMRAG_INGEST_JOB_NAME        job name the ingest job registers (streamrag-ingest)
#   STREAMRAG_QUERY_JOB_NAME         job name the query job registers (streamrag-query)
#   STREAMRAG_KAFKA_BOOTSTRAP_SERVERS, STREAMRAG_OPENSEARCH_URL, STREAMRAG_EMBEDDING_PROVIDER,
#   STREAMRAG_OCR_PROVIDER, STREAMRAG_VISION_BASE_URL, STREAMRAG_VISION_MODEL,
#   STREAMRAG_INGEST_ALLOWED_ROOTS, STREAMRAG_QUERY_ENDPOINTS
#                                    forwarded as --key value job arguments
#   STREAMRAG_INGEST_EXTRA_ARGS, STREAMRAG_QUERY_EXTRA_ARGS
#                                    extra arguments, split on whitespace
set -euo pipefail

JM="${FLINK_JOBMANAGER:-jobmanager:8081}"
VERSION="${STREAMRAG_VERSION:-0.1.0-SNAPSHOT}"
USRLIB="${FLINK_HOME:-/opt/flink}/usrlib"

INGEST_JAR="${USRLIB}/streamrag-ingest-job-${VERSION}-job.jar"
QUERY_JAR="${USRLIB}/streamrag-query-job-${VERSION}-job.jar"
INGEST_NAME="${STREAMRAG_INGEST_JOB_NAME:-streamrag-ingest}"
QUERY_NAME="${STREAMRAG_QUERY_JOB_NAME:-streamrag-query}"

KAFKA="${STREAMRAG_KAFKA_BOOTSTRAP_SERVERS:-kafka:9092}"
OPENSEARCH="${STREAMRAG_OPENSEARCH_URL:-http://opensearch:9200}"
EMBEDDING="${STREAMRAG_EMBEDDING_PROVIDER:-onnx}"
OCR="${STREAMRAG_OCR_PROVIDER:-tesseract}"
VISION_URL="${STREAMRAG_VISION_BASE_URL:-http://ollama:11434}"
VISION_MODEL="${STREAMRAG_VISION_MODEL:-granite3.2-vision}"
ALLOWED_ROOTS="${STREAMRAG_INGEST_ALLOWED_ROOTS:-/data}"
ENDPOINTS="${STREAMRAG_QUERY_ENDPOINTS:-local=openai,http://local-model:8090/v1,extractive}"

read -r -a INGEST_EXTRA <<< "${STREAMRAG_INGEST_EXTRA_ARGS:-}"
read -r -a QUERY_EXTRA <<< "${STREAMRAG_QUERY_EXTRA_ARGS:-}"

INGEST_ARGS=(
  --kafka.bootstrap-servers "${KAFKA}"
  --opensearch.url "${OPENSEARCH}"
  --embedding.provider "${EMBEDDING}"
  --ingest.ocr.provider "${OCR}"
  --ingest.vision.base-url "${VISION_URL}"
  --ingest.vision.model "${VISION_MODEL}"
  --ingest.allowed-roots "${ALLOWED_ROOTS}"
  "${INGEST_EXTRA[@]}"
)
QUERY_ARGS=(
  --kafka.bootstrap-servers "${KAFKA}"
  --opensearch.url "${OPENSEARCH}"
  --embedding.provider "${EMBEDDING}"
  --query.endpoints "${ENDPOINTS}"
  "${QUERY_EXTRA[@]}"
)

log() { echo "[submit-jobs] $*"; }

# `flink list` prints one line per active job: "<date> : <jobId> : <name> (<STATE>)".
active_job_ids() {
  local name="$1"
  flink list -m "${JM}" 2>/dev/null \
    | awk -v n="${name}" -F ' : ' '
        NF >= 3 {
          rest = $3
          for (i = 4; i <= NF; i++) rest = rest " : " $i
          sub(/ \([A-Z_]+\)$/, "", rest)
          if (rest == n) print $2
        }'
}

wants_replace() {
  local key="$1"
  [[ " ${STREAMRAG_REPLACE_JOBS:-} " == *" ${key} "* ]]
}

submit() {
  local key="$1" name="$2" jar="$3"
  shift 3
  if [[ ! -f "${jar}" ]]; then
    log "missing jar ${jar}"
    return 1
  fi

  local ids
  ids="$(active_job_ids "${name}")"
  if [[ -n "${ids}" ]]; then
    if wants_replace "${key}"; then
      local id
      for id in ${ids}; do
        log "cancelling ${name} (${id})"
        flink cancel -m "${JM}" "${id}"
      done
    else
      log "${name} already active (${ids//$'\n'/ }); not submitting again"
      return 0
    fi
  fi

  local attempt
  for attempt in 1 2 3; do
    log "submitting ${name} from ${jar} (attempt ${attempt})"
    if flink run -d -m "${JM}" "${jar}" "$@"; then
      return 0
    fi
    sleep 5
  done
  log "giving up on ${name}"
  return 1
}

# Fail fast, with a clear message, if the JobManager is unreachable.
if ! flink list -m "${JM}" > /dev/null; then
  log "cannot reach the JobManager at ${JM}"
  exit 1
fi

submit ingest "${INGEST_NAME}" "${INGEST_JAR}" "${INGEST_ARGS[@]}"
submit query "${QUERY_NAME}" "${QUERY_JAR}" "${QUERY_ARGS[@]}"

log "active jobs:"
flink list -m "${JM}"
