{
  "variables": {
    "has_mpi%": "<!(node scripts/mpi-config.js found)"
  },
  "targets": [{
    "target_name": "caffets_native",
    "sources": [ "<!@(node -e \"console.log(require('fs').readdirSync('native').filter(f=>f.endsWith('.cc')).map(f=>'native/'+f).join(' '))\")" ],
    "include_dirs": [ "<!(node -p \"require('node-addon-api').include_dir\")" ],
    "defines": [ "NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_CPP_EXCEPTIONS" ],
    "cflags_cc": [ "-std=c++17", "-O3", "-march=x86-64-v2", "-fopenmp", "-fno-math-errno" ],
    "cflags_cc!": [ "-fno-exceptions" ],
    "libraries": [ "-ldnnl", "-llmdb", "-ldl", "-fopenmp" ]
  }, {
    "target_name": "caffets_mpi",
    "conditions": [
      ["has_mpi==1", {
        "sources": [ "native/mpi/mpi.cc" ],
        "include_dirs": [ "<!(node -p \"require('node-addon-api').include_dir\")", "<!@(node scripts/mpi-config.js include)" ],
        "defines": [ "NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_CPP_EXCEPTIONS", "OMPI_SKIP_MPICXX=1", "MPICH_SKIP_MPICXX=1" ],
        "cflags_cc": [ "-std=c++17", "-O2" ],
        "cflags_cc!": [ "-fno-exceptions" ],
        "libraries": [ "<!@(node scripts/mpi-config.js libs)", "-ldl", "-pthread" ]
      }, {
        "type": "none"
      }]
    ]
  }]
}
