#!/usr/bin/env bash
# bench-http: the six example apps over real HTTP on loopback, each alone.
#
# For each app (examples/<app>): build it, start it on a free 127.0.0.1 port
# with JWT_SECRET set (the default in-memory store, DPoP off), wait for the
# second to turn (the store refuses a token issued in the second it started),
# mint a valid token with the jwtgate CLI (sub, iss, aud, scope read) and a
# forged one (its signature's first character changed), check the three
# answers (200, 200, 401), then drive GET /healthz, GET /healthz carrying
# the valid token's Authorization header (which /healthz ignores: what the
# token's bytes cost wrk, the kernel and the framework's header parsing, no
# middleware involved), GET /api/me with the valid token and GET /api/me
# with the forged one with wrk, in two rounds that alternate the four, and
# stop the app (SIGTERM). Prints a Markdown table: requests per second (mean
# of the two rounds, and each round), p50 and p99 latency (the mean of the
# rounds'), /healthz + token ÷ /healthz, and /api/me ÷ /healthz and forged ÷
# /healthz from the means.
#
# Bounded: every wrk run lasts DURATION (timeout at DURATION + 20 s), every
# app is killed if it outlives its runs; about 6 × 8 × DURATION in all,
# plus the builds. Loopback only. wrk shares the machine's cores with the
# app: these figures compare endpoints of one app, not capacity.
#
# Settings (environment): DURATION (5s), THREADS (2), CONNECTIONS (32),
# APPS ("nethttp echo echov5 gin fiber fiberv3"), OUT (also write the
# table and the raw wrk output beside it: OUT and OUT.raw).
# The apps inherit the environment: LOG_LEVEL=warn runs them without their
# request lines and refusal records.
set -euo pipefail

DURATION=${DURATION:-5s}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-32}
APPS=${APPS:-nethttp echo echov5 gin fiber fiberv3}
OUT=${OUT:-}

cd "$(dirname "$0")/.."

if ! command -v wrk >/dev/null; then
	echo "bench-http: installing wrk (Debian package)" >&2
	apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >&2
fi
command -v curl >/dev/null || { echo "bench-http: curl is needed" >&2; exit 1; }

tmp=$(mktemp -d)
pid=""
cleanup() {
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

export JWT_SECRET=bench-http-secret-0123456789abcdef0123456789
echo "bench-http: building the jwtgate CLI and the apps ($APPS)" >&2
go build -o "$tmp/jwtgate" ./cmd/jwtgate
for app in $APPS; do
	go build -o "$tmp/$app" "./examples/$app"
done

secs() { # wrk's duration (5s, 1m) in seconds
	case $1 in *m) echo $((${1%m} * 60)) ;; *s) echo "${1%s}" ;; *) echo "$1" ;; esac
}
limit=$(($(secs "$DURATION") + 20))

raw=$tmp/raw.txt
: >"$raw"
# run APP ENDPOINT ROUND URL [TOKEN]: one wrk run; appends "app endpoint
# round rps p50ms p99ms requests non2xx" to $tmp/runs.
run() {
	local app=$1 ep=$2 round=$3 url=$4 token=${5:-} out
	local args=(-t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency)
	[ -n "$token" ] && args+=(-H "Authorization: Bearer $token")
	out=$(timeout "$limit" wrk "${args[@]}" "$url")
	printf '### %s %s round %s\n%s\n\n' "$app" "$ep" "$round" "$out" >>"$raw"
	echo "$out" | awk -v app="$app" -v ep="$ep" -v round="$round" '
		function ms(v) {
			if (v ~ /us$/) return substr(v, 1, length(v) - 2) / 1000
			if (v ~ /ms$/) return substr(v, 1, length(v) - 2) + 0
			if (v ~ /s$/) return substr(v, 1, length(v) - 1) * 1000
			return v + 0
		}
		$1 == "50%" { p50 = ms($2) }
		$1 == "99%" { p99 = ms($2) }
		/requests in/ { reqs = $1 }
		/^Requests\/sec:/ { rps = $2 }
		/Non-2xx or 3xx responses:/ { bad = $NF }
		END { printf "%s %s %s %s %s %s %s %s\n", app, ep, round, rps, p50, p99, reqs, bad + 0 }' >>"$tmp/runs"
}

status() { # status URL [TOKEN]
	local args=(-s -o /dev/null -w '%{http_code}' --max-time 5)
	[ -n "${2:-}" ] && args+=(-H "Authorization: Bearer $2")
	curl "${args[@]}" "$1"
}

: >"$tmp/runs"
for app in $APPS; do
	ADDR=127.0.0.1:0 "$tmp/$app" >"$tmp/$app.out" 2>/dev/null &
	pid=$!
	base=""
	for _ in $(seq 100); do
		base=$(sed -n '1s/^jwtgate example listening on \(http:\/\/127\.0\.0\.1:[0-9]*\).*/\1/p' "$tmp/$app.out")
		[ -n "$base" ] && break
		kill -0 "$pid" 2>/dev/null || { echo "bench-http: $app exited at start" >&2; exit 1; }
		sleep 0.1
	done
	[ -n "$base" ] || { echo "bench-http: $app did not say where it listens" >&2; exit 1; }
	# The store refuses a token of the second it started in: mint in a later one.
	up=$(date +%s)
	while [ "$(date +%s)" -le "$up" ]; do sleep 0.1; done
	valid=$("$tmp/jwtgate" mint -key-env JWT_SECRET -iss jwtgate-example -aud jwtgate-example-api -sub bench -scope read)
	sig=${valid##*.}
	first=${sig:0:1}
	if [ "$first" = A ]; then swap=B; else swap=A; fi
	forged=${valid%.*}.$swap${sig:1}
	got="$(status "$base/healthz") $(status "$base/api/me" "$valid") $(status "$base/api/me" "$forged")"
	[ "$got" = "200 200 401" ] || { echo "bench-http: $app answered $got, want 200 200 401" >&2; exit 1; }
	echo "bench-http: $app on $base" >&2
	for round in 1 2; do
		run "$app" healthz "$round" "$base/healthz"
		run "$app" carry "$round" "$base/healthz" "$valid"
		run "$app" me "$round" "$base/api/me" "$valid"
		run "$app" forged "$round" "$base/api/me" "$forged"
	done
	kill -TERM "$pid"
	for _ in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	pid=""
done

# Every valid run answered 200 only; every forged one 401 only (non-2xx).
awk '($2 != "forged" && $8 != 0) || ($2 == "forged" && $8 != $7) {
	printf "bench-http: %s %s round %s: %s of %s answers were not what it expects\n", $1, $2, $3, $8, $7 > "/dev/stderr"; bad = 1 }
	END { exit bad }' "$tmp/runs"

table=$(awk -v d="$DURATION" -v t="$THREADS" -v c="$CONNECTIONS" '
	{ k = $1 " " $2; rps[k] += $4 / 2; r[k, $3] = $4; p50[k] += $5 / 2; p99[k] += $6 / 2
	  if (!($1 in seen)) { seen[$1] = 1; apps[++n] = $1 } }
	END {
		printf "wrk -t%s -c%s -d%s --latency, two alternating rounds; req/s the mean of the two (each round in brackets), p50 and p99 the mean of the rounds\x27.\n\n", t, c, d
		print "| app | /healthz req/s | /healthz + token req/s | /api/me req/s | forged req/s | /healthz p50 / p99 | /api/me p50 / p99 | forged p50 / p99 | + token ÷ healthz | me ÷ healthz | forged ÷ healthz |"
		print "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
		for (i = 1; i <= n; i++) {
			a = apps[i]; h = a " healthz"; w = a " carry"; m = a " me"; f = a " forged"
			ca = rps[w] / rps[h]; me = rps[m] / rps[h]; fo = rps[f] / rps[h]
			printf "| %s | %.0f (%.0f, %.0f) | %.0f (%.0f, %.0f) | %.0f (%.0f, %.0f) | %.0f (%.0f, %.0f) | %.2f / %.2f ms | %.2f / %.2f ms | %.2f / %.2f ms | %.2f | %.2f %s | %.2f %s |\n", a,
				rps[h], r[h, 1], r[h, 2], rps[w], r[w, 1], r[w, 2], rps[m], r[m, 1], r[m, 2], rps[f], r[f, 1], r[f, 2],
				p50[h], p99[h], p50[m], p99[m], p50[f], p99[f], ca, me, (me >= 0.9 ? "✓" : "✗"), fo, (fo >= 0.75 ? "✓" : "✗")
		}
		print "\nTargets (issue 24): /api/me ≥ 0.9 × /healthz, forged ≥ 0.75 × /healthz; ✓ met, ✗ not met. + token ÷ healthz has no target: it is the floor, what carrying the token costs before any middleware reads it."
	}' "$tmp/runs")
echo "$table"
if [ -n "$OUT" ]; then
	echo "$table" >"$OUT"
	cp "$raw" "$OUT.raw"
fi
