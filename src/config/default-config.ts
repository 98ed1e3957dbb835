/**
 * The built-in default: the city circular's policy (YouTube, Vidio and Vimeo blocked 07:00-16:00 on
 * working days, Asia/Jakarta), DNS-over-HTTPS bypass blocked always, DNS on 127.0.0.1:1053 and the
 * console on 127.0.0.1:8080 so it runs without root. `rambu serve` without --config writes this to
 * the data directory as rambu.yaml and runs it; edit that file (or the console) from then on.
 */
export const DEFAULT_CONFIG_YAML = `# rambu policy: streaming during work hours (the city circular).
# Reference: docs/configuration.md. Check edits with: rambu check --config rambu.yaml
timezone: Asia/Jakarta            # WIB; schedules are read in this zone whatever the server's zone

dns:
  listen: ["127.0.0.1:1053"]      # production: ["0.0.0.0:53", "[::]:53"] (needs CAP_NET_BIND_SERVICE)
  # upstreams: ["udp://1.1.1.1:53", "udp://8.8.8.8:53"]   # default: the nameservers in /etc/resolv.conf
  blockResponse: nxdomain         # nxdomain | nullip | refused | IP address of a block page

web:
  listen: "127.0.0.1:8080"

storage:
  path: "."                       # this file's directory: rambu.db lives beside it
  retentionDays: 30

# National holidays and collective leave (cuti bersama): no work-hours schedule applies.
# Add the year's dates from the joint ministerial decree (SKB).
holidays: ["2026-12-25", "2027-01-01"]

schedules:
  jam-kerja:                      # work hours
    - days: [mon, tue, wed, thu, fri]
      from: "07:00"
      to: "16:00"                 # end is exclusive: 16:00:00 is already outside

groups:
  semua: ["0.0.0.0/0", "::/0"]    # every client on the office network

rules:
  - name: blokir-doh              # browsers' own DNS-over-HTTPS would bypass the gateway
    block: [doh-bypass]
  - name: blokir-streaming-jam-kerja
    block: [youtube, vidio, vimeo]
    groups: [semua]
    during: jam-kerja
`;
