{
  "targets": [
    {
      "target_name": "bulwark_kernel",
      "sources": [
        "src/native/addon.c",
        "src/native/addon-fanotify.c",
        "src/native/channel.c",
        "src/native/netlink.c",
        "src/native/nfqueue.c",
        "src/native/nflog.c",
        "src/native/fanotify.c",
        "src/native/verdict-cache.c",
        "src/native/uevent.c",
        "src/native/rawsend.c"
      ],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-Wno-unused-parameter", "-O2"],
      "defines": ["NAPI_VERSION=8"],
      "libraries": ["-lpthread"]
    }
  ]
}
