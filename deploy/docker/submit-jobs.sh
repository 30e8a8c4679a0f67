#!/usr/bin/env bash
# Submits the StreamRAG ingest and query jobs to the Flink session cluster.
#
# Runs inside the submit-jobs one-shot container (see docker-compose.yml).
# Idempotent: a job whose name is already RUNNING/RESTARTING/CREATED is not
# submitted again, so `docker compose up` can be re-run safely. To replace a
# running job (e.g. after changing STREAMRAG_QUERY_ENDPOINTS or the image) list it
# in STREAMRAG_REPLACE_JOBS ("ingest", "query" or "ingest query"); it is stopped
# with a savepoint and submitted again from it with the current arguments.
#
# State is never dropped silently: a job is submitted from the newer of its last
# savepoint and the newest retained checkpoint of its last run (recorded under
# STREAMRAG_STATE_DIR/streamrag-jobs), so a JobManager that restarted (no HA: its
# jobs are gone) resumes them where they were, with their in-flight documents and
# questions, version gate and answer dedup. STREAMRAG_FRESH_START=1 starts empty.
#
# Every setting comes from the environment:
#   FLINK_JOBMANAGER                 REST address of the JobManager (jobmanager:8081)
#   STREAMRAG_VERSION                jar version suffix (0.1.0-SNAPSHOT)
#   STREAMRAG_INGEST_JOB_NAME        job name the ingest job registers (--pipeline.name; streamrag-ingest)
#   STREAMRAG_QUERY_JOB_NAME         job name the query job registers (--pipeline.name; streamrag-query)
#   STREAMRAG_KAFKA_BOOTSTRAP_SERVERS, STREAMRAG_OPENSEARCH_URL, STREAMRAG_EMBEDDING_PROVIDER,
#   STREAMRAG_OCR_PROVIDER, STREAMRAG_VISION_BASE_URL, STREAMRAG_VISION_MODEL,
#   STREAMRAG_INGEST_ALLOWED_ROOTS, STREAMRAG_QUERY_ENDPOINTS
#                                    forwarded as --key value job arguments
#   STREAMRAG_INGEST_EXTRA_ARGS, STREAMRAG_QUERY_EXTRA_ARGS
#                                    extra arguments, split on whitespace
#   STREAMRAG_STATE_DIR              the checkpoint volume, as mounted here and on the cluster (/flink-checkpoints)
#   STREAMRAG_FRESH_START            1: submit without restoring state
set -euo pipefail

JM="${FLINK_JOBMANAGER:-jobmanager:8081}"
VERSION="${STREAMRAG_VERSION:-0.1.0-SNAPSHOT}"
USRLIB="${FLINK_HOME:-/opt/flink}/usrlib"
STATE_DIR="${STREAMRAG_STATE_DIR:-/flink-checkpoints}"
RECORDS="${STATE_DIR}/streamrag-jobs"

INGEST_JAR="${USRLIB}/streamrag-ingest-job-${VERSION}-job.jar"
QUERY_JAR="${USRLIB}/streamrag-query-job-${VERSION}-job.jar"
INGEST_NAME="${STREAMRAG_INGEST_JOB_NAME:-streamrag-ingest}"
QUERY_NAME="${STREAMRAG_QUERY_JOB_NAME:-streamrag-query}"

KAFKA="${STREAMRAG_KAFKA_BOOTSTRAP_SERVERS:-kafka:9092}"
OPENSEARCH="${STREAMRAG_OPENSEARCH_URL:-http://opensearch:9200}"
EMBEDDING="${STREAMRAG_EMBEDDING_PROVIDER:-onnx}"
OCR="${STREAMRAG_OCR_PROVIDER:-tesseract}"
VISION_URL="${STREAMRAG_VISION_BASE_URL:-http://ollama:11434/v1}"
VISION_MODEL="${STREAMRAG_VISION_MODEL:-granite3.2-vision}"
ALLOWED_ROOTS="${STREAMRAG_INGEST_ALLOWED_ROOTS:-/data}"
ENDPOINTS="${STREAMRAG_QUERY_ENDPOINTS:-local=openai,http://local-model:8090/v1,extractive}"

read -r -a INGEST_EXTRA <<< "${STREAMRAG_INGEST_EXTRA_ARGS:-}"
read -r -a QUERY_EXTRA <<< "${STREAMRAG_QUERY_EXTRA_ARGS:-}"

# pipeline.name: the name the job registers is the one active_job_ids looks for (a job registered under another
# name would not be found running, and a second copy would be submitted beside it).
INGEST_ARGS=(
  --pipeline.name "${INGEST_NAME}"
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
  --pipeline.name "${QUERY_NAME}"
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

# Modification time of a savepoint's or checkpoint's _metadata (0 when there is none).
metadata_time() {
  local dir="${1#file://}"
  dir="${dir#file:}"
  if [[ -f "${dir}/_metadata" ]]; then stat -c %Y "${dir}/_metadata"; else echo 0; fi
}

# The state a job of this key resumes from: the newer of its recorded savepoint and the newest
# retained checkpoint of its recorded last run; empty when there is none (or on a fresh start).
restore_point() {
  local key="$1" best="" best_time=0 time
  [[ "${STREAMRAG_FRESH_START:-0}" == "1" ]] && return 0
  if [[ -f "${RECORDS}/${key}.savepoint" ]]; then
    best="$(cat "${RECORDS}/${key}.savepoint")"
    best_time="$(metadata_time "${best}")"
    [[ "${best_time}" == 0 ]] && best=""
  fi
  if [[ -f "${RECORDS}/${key}.job" ]]; then
    local job_dir chk
    job_dir="${STATE_DIR}/$(cat "${RECORDS}/${key}.job")"
    # By checkpoint number (chk-12 after chk-3), on the names alone: the path may hold dashes too.
    chk="$(find "${job_dir}" -maxdepth 1 -name 'chk-*' -type d -printf '%f\n' 2>/dev/null | sort -t- -k2 -n | tail -n 1)"
    if [[ -n "${chk}" ]]; then
      chk="${job_dir}/${chk}"
      time="$(metadata_time "${chk}")"
      if (( time > best_time )); then best="file://${chk}"; fi
    fi
  fi
  echo "${best}"
}

submit() {
  local key="$1" name="$2" jar="$3"
  shift 3
  if [[ ! -f "${jar}" ]]; then
    log "missing jar ${jar}"
    return 1
  fi
  mkdir -p "${RECORDS}"

  local ids
  ids="$(active_job_ids "${name}")"
  if [[ -n "${ids}" ]]; then
    if wants_replace "${key}"; then
      local id out savepoint
      for id in ${ids}; do
        log "stopping ${name} (${id}) with a savepoint"
        if out="$(flink stop -m "${JM}" --savepointPath "file://${STATE_DIR}/savepoints" "${id}" 2>&1)"; then
          echo "${out}"
          savepoint="$(sed -n 's/.*Savepoint completed\. Path: *//p' <<< "${out}" | tail -n 1)"
          [[ -n "${savepoint}" ]] && echo "${savepoint}" > "${RECORDS}/${key}.savepoint"
        else
          # Its retained checkpoints still hold its state (RETAIN_ON_CANCELLATION): resume from the newest.
          echo "${out}"
          log "stop with savepoint failed; cancelling ${name} (${id})"
          flink cancel -m "${JM}" "${id}"
        fi
      done
    else
      log "${name} already active (${ids//$'\n'/ }); not submitting again"
      return 0
    fi
  fi

  local restore from=()
  restore="$(restore_point "${key}")"
  if [[ -n "${restore}" ]]; then
    from=(-s "${restore}")
    log "${name} resumes from ${restore}"
  fi
  local attempt out job
  for attempt in 1 2 3; do
    log "submitting ${name} from ${jar} (attempt ${attempt})"
    if out="$(flink run -d -m "${JM}" "${from[@]}" "${jar}" "$@" 2>&1)"; then
      echo "${out}"
      job="$(sed -n 's/.*submitted with JobID \([0-9a-f]\{32\}\).*/\1/p' <<< "${out}" | tail -n 1)"
      [[ -n "${job}" ]] && echo "${job}" > "${RECORDS}/${key}.job"
      return 0
    fi
    echo "${out}"
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
