curl ^"https://jimeng.jianying.com/mweb/v1/feedback?aid=513695&web_version=6.6.0^" ^
  -X POST ^
  -H ^"User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0^" ^
  -H ^"Accept: application/json, text/plain, */*^" ^
  -H ^"Accept-Language: en-US,en;q=0.5^" ^
  -H ^"Accept-Encoding: gzip, deflate, br, zstd^" ^
  -H ^"Content-Type: text/plain;charset=UTF-8^" ^
  -H ^"Origin: https://jimeng.jianying.com^" ^
  -H ^"Connection: keep-alive^" ^
  -H ^"Referer: https://jimeng.jianying.com/^" ^
  -H ^"Cookie: _tea_utm_cache_513695=undefined; sessionid=fakefakefakefakefakefakefakefake; sid_guard=fakeguard^%^7C1735689600^%^7C5184000^" ^
  -H ^"Sec-Fetch-Dest: empty^" ^
  -H ^"Sec-Fetch-Mode: cors^" ^
  -H ^"Sec-Fetch-Site: cross-site^" ^
  -H ^"Priority: u=0^" ^
  -H ^"TE: trailers^" ^
  --data-raw ^"^去^掉^猫^的^影^子 & keep ^| it's 100^% \"fake\"^! \$HOME ^%^PATH^% C:\\tmp\\new ^^caret \`tick\` ^<tag^> ^[a^]{b}^

line two	tab^"
