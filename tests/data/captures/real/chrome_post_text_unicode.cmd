curl --url ^"https://jimeng.jianying.com/mweb/v1/feedback?aid=513695^&web_version=6.6.0^" ^
  -H ^"accept: application/json, text/plain, */*^" ^
  -H ^"accept-language: en-GB,en-US;q=0.9,en;q=0.8^" ^
  -H ^"content-type: text/plain;charset=UTF-8^" ^
  -b ^"_tea_utm_cache_513695=undefined; sessionid=fakefakefakefakefakefakefakefake; sid_guard=fakeguard^%^7C1735689600^%^7C5184000^" ^
  -H ^"origin: https://jimeng.jianying.com^" ^
  -H ^"priority: u=1, i^" ^
  -H ^"referer: https://jimeng.jianying.com/^" ^
  -H ^"sec-ch-ua: ^\^"Google Chrome^\^";v=^\^"131^\^", ^\^"Chromium^\^";v=^\^"131^\^", ^\^"Not_A Brand^\^";v=^\^"24^\^"^" ^
  -H ^"sec-ch-ua-mobile: ?0^" ^
  -H ^"sec-ch-ua-platform: ^\^"Linux^\^"^" ^
  -H ^"sec-fetch-dest: empty^" ^
  -H ^"sec-fetch-mode: cors^" ^
  -H ^"sec-fetch-site: cross-site^" ^
  -H ^"user-agent: Mozilla/5.0 ^(X11; Linux x86_64^) AppleWebKit/537.36 ^(KHTML, like Gecko^) Chrome/131.0.0.0 Safari/537.36^" ^
  --data-raw ^"^ ^ ^ ^ ^ ^  ^& keep ^| it's 100^% ^\^"fake^\^"^! ^$HOME ^%^PATH^% C:^\^\tmp^\^\new ^^caret ^`tick^` ^<tag^> ^[a^]^{b^}^

line two tab^"
