#!/usr/bin/env python3
"""Read a Deeper job's result straight from Redis, as the existing user scripts do.

    python3 examples/read_result.py JOB_ID            # top symbols by |god|
    python3 examples/read_result.py JOB_ID "AHL PRF"  # one symbol, as JSON

Needs redis-py (Debian: python3-redis). Reads REDIS_HOST, REDIS_PORT, REDIS_PASSWORD and
REDIS_DB like the rest of the system. Exit status 1 when the result is not there (yet).
"""
import json
import os
import sys

import redis


def main(argv):
    if len(argv) < 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    job_id = argv[1]
    symbol = argv[2] if len(argv) > 2 else None
    r = redis.Redis(
        host=os.environ.get("REDIS_HOST", "127.0.0.1"),
        port=int(os.environ.get("REDIS_PORT", "6379")),
        password=os.environ.get("REDIS_PASSWORD") or None,
        db=int(os.environ.get("REDIS_DB", "0")),
    )
    raw = r.get(f"deeper_analysis:result:{job_id}")
    if raw is None:
        status = r.get(f"deeper_analysis:status:{job_id}")
        print(f"no result for {job_id}; status: {status.decode() if status else 'unknown'}", file=sys.stderr)
        return 1
    data = json.loads(raw)
    if symbol is not None:
        print(json.dumps({
            "processed_count": data['processed_count'],
            "total_symbols": data['total_symbols'],
            "symbol": symbol,
            "god": data['data'][symbol]['god'],
            "last_price": data['data'][symbol]['last_price'],
        }))
        return 0
    print(f"processed {data['processed_count']} of {data['total_symbols']} symbols")
    ranked = sorted(
        ((sym, m['god']) for sym, m in data['data'].items() if m['god'] is not None),
        key=lambda item: abs(item[1]), reverse=True)
    for sym, god in ranked[:10]:
        print(f"{sym:16} {god:+.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
