# release/lock.sh: release/toolchain.lock — parse, fetch and verify, resolve. Sourced by
# scripts/release (which defines die, log and usage); bash, coreutils, curl, apt.
#
# Lock format (one file of the closure per line, LC_ALL=C sorted, no duplicates):
#   # katana-tee toolchain.lock ...        (free comment lines first)
#   # suite bookworm                       (header lines: suite, architecture, resolved)
#   # architecture amd64
#   # resolved 20261129T200000Z            (UTC; the snapshot.debian.org timestamp)
#   NAME VERSION ARCHIVE POOL-PATH SHA256 SIZE
# NAME is the binary package (POOL-PATH ends in .deb) or the source package
# (any other file of it: .dsc, tarballs, signatures).

# Archives the lock may name: the current archive and its snapshot.debian.org name.
declare -A KT_ARCHIVE_URL=(
  [debian]=http://deb.debian.org/debian
  [debian-security]=http://deb.debian.org/debian-security
)
declare -A KT_ARCHIVE_SNAPSHOT=(
  [debian]=https://snapshot.debian.org/archive/debian
  [debian-security]=https://snapshot.debian.org/archive/debian-security
)

# lock_parse FILE: check every line; sets LOCK_SUITE LOCK_ARCH LOCK_RESOLVED and
# LOCK_LINES (the data lines). Any refusal is fatal and names the line.
lock_parse() {
  local file=$1 n=0 line prev="" in_header=1 name version archive path sum size extra
  LOCK_SUITE="" LOCK_ARCH="" LOCK_RESOLVED="" LOCK_LINES=()
  [ -r "$file" ] || die "lock: cannot read $file"
  declare -A seen_pkg=()
  while IFS= read -r line || [ -n "$line" ]; do
    n=$((n + 1))
    if [[ "$line" == "#"* ]]; then
      [ "$in_header" = 1 ] || die "lock: $file line $n: a comment after the first file line"
      case "$line" in
        "# suite "*) LOCK_SUITE=${line#\# suite } ;;
        "# architecture "*) LOCK_ARCH=${line#\# architecture } ;;
        "# resolved "*) LOCK_RESOLVED=${line#\# resolved } ;;
      esac
      continue
    fi
    in_header=0
    [ -n "$line" ] || die "lock: $file line $n: empty line"
    read -r name version archive path sum size extra <<<"$line"
    [ -z "$extra" ] && [ -n "$size" ] && [ "$line" = "$name $version $archive $path $sum $size" ] ||
      die "lock: $file line $n: need six fields separated by single spaces: name version archive pool-path sha256 size"
    [[ "$name" =~ ^[a-z0-9][a-z0-9+.-]+$ ]] || die "lock: $file line $n: bad package name '$name'"
    [[ "$version" =~ ^[0-9A-Za-z.+~:-]+$ ]] || die "lock: $file line $n: bad version '$version'"
    [ -n "${KT_ARCHIVE_URL[$archive]:-}" ] || die "lock: $file line $n: unknown archive '$archive' (known: ${!KT_ARCHIVE_URL[*]})"
    [[ "$path" =~ ^pool/[A-Za-z0-9][A-Za-z0-9/+._~-]*$ && "$path" != *..* && "$path" != */ ]] ||
      die "lock: $file line $n: bad pool path '$path'"
    [[ "$sum" =~ ^[0-9a-f]{64}$ ]] || die "lock: $file line $n: bad SHA-256 '$sum'"
    [[ "$size" =~ ^[1-9][0-9]{0,10}$ ]] || die "lock: $file line $n: bad size '$size'"
    if [ -n "$prev" ] && [[ ! "$prev" < "$line" ]]; then
      die "lock: $file line $n: out of order or duplicate (lines must be sorted with LC_ALL=C sort -u): $name $(basename "$path")"
    fi
    if [[ "$path" == *.deb ]]; then
      [ -z "${seen_pkg[$name]:-}" ] || die "lock: $file line $n: package $name listed twice"
      seen_pkg[$name]=1
    fi
    prev=$line
    LOCK_LINES+=("$line")
  done <"$file"
  [[ "$LOCK_SUITE" =~ ^[a-z]+$ ]] || die "lock: $file: no '# suite' header line"
  [[ "$LOCK_ARCH" =~ ^[a-z0-9]+$ ]] || die "lock: $file: no '# architecture' header line"
  [[ "$LOCK_RESOLVED" =~ ^[0-9]{8}T[0-9]{6}Z$ ]] || die "lock: $file: no '# resolved YYYYMMDDTHHMMSSZ' header line"
  [ ${#LOCK_LINES[@]} -gt 0 ] || die "lock: $file: no files"
}

# Percent-encode the characters of a pool path that are not safe in a URL path.
url_path() { local p=${1//%/%25}; p=${p//+/%2B}; p=${p//~/%7E}; echo "$p"; }

# lock_fetch DEST CACHE OFFLINE: every file of LOCK_LINES into DEST (by basename),
# from CACHE, then snapshot.debian.org at the resolved date, then the current
# archive; each checked against its size and SHA-256 (a mismatch is fatal and
# names the file). Sets LOCK_FETCHED_{CACHE,SNAPSHOT,ARCHIVE} counts.
lock_fetch() {
  local dest=$1 cache=$2 offline=$3 line name version archive path sum size f got src
  local snapshot_ok=1
  LOCK_FETCHED_CACHE=0 LOCK_FETCHED_SNAPSHOT=0 LOCK_FETCHED_ARCHIVE=0
  mkdir -p "$dest"
  for line in "${LOCK_LINES[@]}"; do
    read -r name version archive path sum size <<<"$line"
    f=$(basename "$path")
    src=""
    if [ -n "$cache" ] && [ -f "$cache/$f" ]; then
      cp -f "$cache/$f" "$dest/$f.part" && src=cache
    fi
    if [ -z "$src" ] && [ "$offline" = 0 ] && [ "$snapshot_ok" = 1 ]; then
      if curl -fsSL --connect-timeout 5 --max-time 600 -o "$dest/$f.part" \
           "${KT_ARCHIVE_SNAPSHOT[$archive]}/$LOCK_RESOLVED/$(url_path "$path")" 2>"$dest/.curl.err"; then
        src=snapshot
      else
        # one failure to reach the snapshot archive: use the current archive from now on
        log "snapshot.debian.org unavailable ($(tail -1 "$dest/.curl.err")); using the current archive"
        snapshot_ok=0
      fi
    fi
    if [ -z "$src" ] && [ "$offline" = 0 ]; then
      curl -fsSL --connect-timeout 10 --max-time 600 --retry 2 -o "$dest/$f.part" \
        "${KT_ARCHIVE_URL[$archive]}/$(url_path "$path")" 2>"$dest/.curl.err" && src=archive
    fi
    if [ -z "$src" ]; then
      rm -f "$dest/$f.part"
      if [ "$offline" = 1 ]; then die "lock: $f ($name $version) is not in the cache ${cache:-(none)} and --offline forbids downloading"; fi
      die "lock: cannot fetch $f ($name $version) from the cache, the snapshot or the archive ($(tail -1 "$dest/.curl.err")); it may have left the current archive: take the update with --update-lock"
    fi
    got=$(stat -c %s "$dest/$f.part")
    [ "$got" = "$size" ] || die "lock: $f from the $src has $got bytes, the lock says $size"
    got=$(sha256sum "$dest/$f.part" | cut -d' ' -f1)
    [ "$got" = "$sum" ] || die "lock: $f from the $src has SHA-256 $got, the lock says $sum"
    mv -f "$dest/$f.part" "$dest/$f"
    case "$src" in
      cache) LOCK_FETCHED_CACHE=$((LOCK_FETCHED_CACHE + 1)) ;;
      snapshot) LOCK_FETCHED_SNAPSHOT=$((LOCK_FETCHED_SNAPSHOT + 1)) ;;
      archive) LOCK_FETCHED_ARCHIVE=$((LOCK_FETCHED_ARCHIVE + 1)) ;;
    esac
  done
  rm -f "$dest/.curl.err"
}

# lock_packages: "name version" of every binary package in the lock (sorted by name).
lock_packages() {
  local line name version archive path rest
  for line in "${LOCK_LINES[@]}"; do
    read -r name version archive path rest <<<"$line"
    [[ "$path" == *.deb ]] && echo "$name $version"
  done | LC_ALL=C sort
}

# lock_dsc NAME: the .dsc file name of source package NAME in the lock (or nothing).
lock_dsc() {
  local line name version archive path rest
  for line in "${LOCK_LINES[@]}"; do
    read -r name version archive path rest <<<"$line"
    if [ "$name" = "$1" ] && [[ "$path" == *.dsc ]]; then basename "$path"; return 0; fi
  done
}

# intent_parse FILE: read release/toolchain.in into INTENT_SUITE INTENT_ARCH
# INTENT_ARCHIVES ("name suite..." entries) INTENT_PACKAGES INTENT_SOURCES.
intent_parse() {
  local file=$1 n=0 line key rest
  INTENT_SUITE="" INTENT_ARCH="" INTENT_ARCHIVES=() INTENT_PACKAGES=() INTENT_SOURCES=()
  while IFS= read -r line || [ -n "$line" ]; do
    n=$((n + 1))
    line=${line%%#*}
    read -r key rest <<<"$line"
    [ -n "$key" ] || continue
    case "$key" in
      suite) INTENT_SUITE=$rest ;;
      architecture) INTENT_ARCH=$rest ;;
      archive)
        [ -n "${KT_ARCHIVE_URL[${rest%% *}]:-}" ] || die "$file line $n: unknown archive '${rest%% *}'"
        INTENT_ARCHIVES+=("$rest") ;;
      package) read -r -a words <<<"$rest"; INTENT_PACKAGES+=("${words[@]}") ;;
      source) read -r -a words <<<"$rest"; INTENT_SOURCES+=("${words[@]}") ;;
      *) die "$file line $n: unknown key '$key'" ;;
    esac
  done <"$file"
  [ -n "$INTENT_SUITE" ] && [ -n "$INTENT_ARCH" ] && [ ${#INTENT_ARCHIVES[@]} -gt 0 ] ||
    die "$file: needs suite, architecture and archive lines"
}

# lock_resolve INTENT OUT WORK: resolve the intent against the current archive
# with a private apt (its own sources, empty dpkg status: nothing from this
# host) and write the lock to OUT.
lock_resolve() {
  local intent=$1 out=$2 d=$3/apt entry name suites s url
  intent_parse "$intent"
  mkdir -p "$d/etc/apt.conf.d" "$d/etc/preferences.d" "$d/etc/sources.list.d" \
           "$d/state/lists/partial" "$d/cache/archives/partial"
  : >"$d/status"
  : >"$d/etc/sources.list"
  for entry in "${INTENT_ARCHIVES[@]}"; do
    read -r name suites <<<"$entry"
    url=${KT_ARCHIVE_URL[$name]}
    for s in $suites; do
      for t in deb deb-src; do
        echo "$t [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $url $s main" >>"$d/etc/sources.list"
      done
    done
  done
  cat >"$d/apt.conf" <<CONF
Dir::Etc "$d/etc";
Dir::Etc::SourceList "$d/etc/sources.list";
Dir::Etc::SourceParts "$d/etc/sources.list.d";
Dir::Etc::Parts "$d/etc/apt.conf.d";
Dir::Etc::PreferencesParts "$d/etc/preferences.d";
Dir::State "$d/state";
Dir::State::status "$d/status";
Dir::Cache "$d/cache";
APT::Architecture "$INTENT_ARCH";
APT::Architectures { "$INTENT_ARCH"; };
Acquire::Languages "none";
APT::Install-Recommends "false";
APT::Get::List-Cleanup "false";
CONF
  local resolved
  resolved=$(date -u +%Y%m%dT%H%M%SZ)
  log "resolving release/toolchain.in against the archive ($resolved)"
  APT_CONFIG=$d/apt.conf apt-get update -qq >"$3/apt-update.log" 2>&1 ||
    { cat "$3/apt-update.log" >&2; die "apt-get update (private configuration) failed"; }
  # The Essential set of the suite plus the named packages, resolved from an empty system.
  local essential
  essential=$(cat "$d"/state/lists/*_Packages | awk '/^Package:/ {p = $2} /^Essential: yes/ {print p}' | LC_ALL=C sort -u)
  [ -n "$essential" ] || die "no Essential packages in the archive indices"
  # shellcheck disable=SC2086
  APT_CONFIG=$d/apt.conf apt-get -s install $essential "${INTENT_PACKAGES[@]}" >"$3/apt-sim.log" 2>&1 ||
    { tail -20 "$3/apt-sim.log" >&2; die "cannot resolve the packages of $intent"; }
  local pins
  pins=$(awk '/^Inst / {v = $3; sub(/^\(/, "", v); print $2 "=" v}' "$3/apt-sim.log")
  [ -n "$pins" ] || die "apt resolved no packages"
  # shellcheck disable=SC2086
  (cd "$3" && APT_CONFIG=$d/apt.conf apt-get download --print-uris $pins) >"$3/uris-deb" 2>"$3/uris.err" ||
    { cat "$3/uris.err" >&2; die "apt-get download --print-uris failed"; }
  local srcname
  : >"$3/uris-src"
  for srcname in "${INTENT_SOURCES[@]}"; do
    (cd "$3" && APT_CONFIG=$d/apt.conf apt-get source --print-uris "$srcname") 2>"$3/uris.err" |
      grep "^'" | sed "s/^/$srcname /" >>"$3/uris-src" || { cat "$3/uris.err" >&2; die "apt-get source --print-uris $srcname failed"; }
  done
  local body=$3/lock.body
  {
    # 'URL' name_epoch%3aversion_arch.deb size SHA256:hex
    while read -r url local size hash; do
      uri_to_line "${local%%_*}" "$(pct_decode "$(sed 's/^[^_]*_//; s/_[^_]*\.deb$//' <<<"$local")")" "$url" "$size" "$hash"
    done <"$3/uris-deb"
    # SOURCE 'URL' file size SHA256:hex; the version is the .dsc's
    while read -r srcname url local size hash; do
      local dsc
      dsc=$(awk -v n="$srcname" '$1 == n && $3 ~ /\.dsc$/ {print $3; exit}' "$3/uris-src")
      [ -n "$dsc" ] || die "no .dsc for source package $srcname"
      dsc=${dsc#"${srcname}_"}
      uri_to_line "$srcname" "${dsc%.dsc}" "$url" "$size" "$hash"
    done <"$3/uris-src"
  } >"$body"
  local tmp=$3/lock.new
  {
    echo "# katana-tee toolchain.lock: generated by scripts/release --update-lock from release/toolchain.in; do not edit."
    echo "# Fields: name version archive pool-path sha256 size. See docs/release.md."
    echo "# suite $INTENT_SUITE"
    echo "# architecture $INTENT_ARCH"
    echo "# resolved $resolved"
    LC_ALL=C sort -u "$body"
  } >"$tmp"
  mv -f "$tmp" "$out"
}

pct_decode() { printf '%b' "${1//%/\\x}"; }

# uri_to_line NAME VERSION 'URL' SIZE SHA256:HEX -> a lock line (archive from the URL).
uri_to_line() {
  local name=$1 version=$2 url=${3//\'/} size=$4 hash=$5 a path=""
  for a in "${!KT_ARCHIVE_URL[@]}"; do
    if [[ "$url" == "${KT_ARCHIVE_URL[$a]}/pool/"* ]]; then path=$(pct_decode "${url#"${KT_ARCHIVE_URL[$a]}/"}"); break; fi
  done
  [ -n "$path" ] || die "resolved URL $url is in no known archive"
  [[ "$hash" == SHA256:* ]] || die "apt gave no SHA-256 for $url"
  echo "$name $version $a $path ${hash#SHA256:} $size"
}
